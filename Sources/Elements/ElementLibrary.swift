public import Foundation

/// The elements found in a search path: `ELEMENTS_PATH` folders first, the built-in `elements/` last;
/// the first folder holding an element of a name wins (diskimage-builder's rule).
public struct ElementLibrary: Sendable {
    /// The folders searched, in order.
    public let searchPath: [URL]
    private let byName: [String: Element]
    /// Elements hidden by one of the same name earlier in the search path.
    public let overridden: [Element]

    /// Reads every element (every folder) under the folders of `searchPath`.
    /// - Throws: `ElementError.notAFolder` for a search path entry that is not a folder (diskimage-builder
    ///   refuses these too), `ElementError.badFile` for an element file that cannot be understood.
    public init(searchPath: [URL]) throws {
        self.searchPath = searchPath
        var byName: [String: Element] = [:]
        var overridden: [Element] = []
        for folder in searchPath {
            guard Element.isFolder(folder) else { throw ElementError.notAFolder(path: folder.path) }
            for name in Element.entries(of: folder).sorted() where !name.hasPrefix(".") {
                let directory = folder.appendingPathComponent(name)
                guard Element.isFolder(directory) else { continue }
                let element = try Element(directory: directory)
                if byName[name] == nil { byName[name] = element } else { overridden.append(element) }
            }
        }
        self.byName = byName
        self.overridden = overridden
    }

    /// `ELEMENTS_PATH`'s folders, then the built-in one, as `environment` gives them.
    /// - Throws: `ElementError.builtInElementsNotFound`.
    public static func currentSearchPath(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [URL] {
        searchPath(environment: environment, builtIn: try BuiltInElements.directory(environment: environment))
    }

    /// The search path for `environment`: `ELEMENTS_PATH` (colon-separated, empty entries skipped), then `builtIn`.
    public static func searchPath(environment: [String: String], builtIn: URL) -> [URL] {
        let extra = (environment["ELEMENTS_PATH"] ?? "").split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        return extra + [builtIn]
    }

    /// All elements, sorted by name; for each name the one found first.
    public var elements: [Element] { byName.values.sorted { $0.name < $1.name } }

    /// The element called `name`.
    /// - Throws: `ElementError.missing` naming the folders searched and the elements that exist.
    public func element(named name: String) throws -> Element {
        try element(named: name, chain: [])
    }

    func element(named name: String, chain: [String]) throws -> Element {
        guard let element = byName[name] else {
            throw ElementError.missing(
                name: name, chain: chain, searched: searchPath.map(\.path), available: elements.map(\.name))
        }
        return element
    }

    /// The element called `name`, or nil.
    func lookup(_ name: String) -> Element? { byName[name] }

    /// `name` and what it depends on, as an indented tree. A dependency no element has is shown with the
    /// elements of this library that provide it, a repeated element is not expanded again, and DIB's
    /// infrastructure elements dibkit replaces are marked as such.
    public func dependencyTree(of name: String) -> String {
        var lines: [String] = []
        var expanded: Set<String> = []
        func walk(_ name: String, depth: Int, path: [String]) {
            let indent = String(repeating: "  ", count: depth)
            if Resolver.builtIn.contains(name) {
                lines.append(indent + name + " (done by dibkit itself)")
                return
            }
            guard let element = byName[name] else {
                let providers = elements.filter { $0.provides.contains(name) }.map(\.name)
                lines.append(indent + name + (providers.isEmpty
                    ? " (missing: no element has this name or provides it)"
                    : " (provided by \(providers.joined(separator: " or ")))"))
                return
            }
            if let start = path.firstIndex(of: name) {
                lines.append(indent + name + " (cycle: " + (path[start...] + [name]).joined(separator: " → ") + ")")
                return
            }
            if expanded.contains(name), !element.dependencies.isEmpty {
                lines.append(indent + name + " (see above)")
                return
            }
            expanded.insert(name)
            lines.append(indent + name)
            for dependency in element.dependencies { walk(dependency, depth: depth + 1, path: path + [name]) }
        }
        walk(name, depth: 0, path: [])
        return lines.joined(separator: "\n")
    }
}
