public import Foundation

/// The elements found in a search path: `ELEMENTS_PATH` folders first, the built-in `elements/` last;
/// the first folder holding an element of a name wins.
public struct ElementLibrary: Sendable {
    public let searchPath: [URL]
    private let byName: [String: Element]

    /// Reads every element under the folders of `searchPath`; folders that do not exist are skipped.
    public init(searchPath: [URL]) throws {
        self.searchPath = searchPath
        var byName: [String: Element] = [:]
        let files = FileManager.default
        for folder in searchPath {
            for name in ((try? files.contentsOfDirectory(atPath: folder.path)) ?? []).sorted() where byName[name] == nil {
                var isFolder: ObjCBool = false
                let directory = folder.appendingPathComponent(name)
                guard !name.hasPrefix("."), files.fileExists(atPath: directory.path, isDirectory: &isFolder), isFolder.boolValue
                else { continue }
                byName[name] = try Element(directory: directory)
            }
        }
        self.byName = byName
    }

    /// The search path for `environment`: `ELEMENTS_PATH` (colon-separated) then `builtIn`.
    public static func searchPath(environment: [String: String], builtIn: URL) -> [URL] {
        let extra = (environment["ELEMENTS_PATH"] ?? "").split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        return extra + [builtIn]
    }

    /// All elements, sorted by name.
    public var elements: [Element] { byName.values.sorted { $0.name < $1.name } }

    /// The element called `name`, if any.
    public func element(named name: String) -> Element? { byName[name] }

    /// `name` and what it depends on, as an indented tree; names no element has are marked.
    public func dependencyTree(of name: String) -> String {
        var lines: [String] = []
        func walk(_ name: String, depth: Int, path: Set<String>) {
            let indent = String(repeating: "  ", count: depth)
            guard let element = element(named: name) else {
                lines.append(indent + name + " (not an element: must be provided by one)")
                return
            }
            guard !path.contains(name) else {
                lines.append(indent + name + " (cycle)")
                return
            }
            lines.append(indent + name)
            for dependency in element.dependencies { walk(dependency, depth: depth + 1, path: path.union([name])) }
        }
        walk(name, depth: 0, path: [])
        return lines.joined(separator: "\n")
    }
}

/// Where dibkit's own `elements/` folder is.
public enum BuiltInElements {
    /// `DIBKIT_ELEMENTS_DIR`, else an `elements/` folder above the running executable (a source checkout
    /// or an install prefix's `share/dibkit/elements`), else the checkout this code was compiled from.
    public static func directory(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        if let configured = environment["DIBKIT_ELEMENTS_DIR"] { return URL(fileURLWithPath: configured) }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        while folder.path != "/" {
            for candidate in ["elements", "share/dibkit/elements"] where isElementsFolder(folder.appendingPathComponent(candidate)) {
                return folder.appendingPathComponent(candidate)
            }
            folder.deleteLastPathComponent()
        }
        let compiledFrom = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("elements")
        guard isElementsFolder(compiledFrom) else {
            throw ElementError.badFile(path: compiledFrom.path, reason: "dibkit's built-in elements are not here; set DIBKIT_ELEMENTS_DIR")
        }
        return compiledFrom
    }

    private static func isElementsFolder(_ url: URL) -> Bool {
        FileManager.default.fileExists(atPath: url.appendingPathComponent("debian/element-provides").path)
    }
}
