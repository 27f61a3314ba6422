public import Foundation

/// Packages to install and to remove in one phase.
public struct PackageSet: Sendable, Equatable {
    public var install: [String] = []
    public var uninstall: [String] = []
}

/// The elements of one build, resolved and checked: their order, their hooks per phase, their packages.
public struct BuildPlan: Sendable {
    /// Every element, dependencies before the elements that need them.
    public let elements: [Element]
    /// The element providing `operating-system`.
    public let operatingSystem: Element
    private let arch: String
    private let variables: [String: String]

    /// Resolves `requested` and everything they depend on.
    /// - Parameters:
    ///   - requested: element names, in the order asked for.
    ///   - library: where elements are found.
    ///   - variables: the build's variables, for `package-installs.yaml`'s `when:`.
    ///   - arch: the target architecture, for `arch:` / `not-arch:`.
    /// - Throws: `ElementError` for a missing element (with the chain that needed it), a cycle, two
    ///   elements providing one name, two hooks of one name in one phase, or no operating system.
    public static func resolve(
        _ requested: [String], in library: ElementLibrary, variables: [String: String], arch: String
    ) throws -> BuildPlan {
        var resolver = Resolver(library: library)
        for name in requested { try resolver.visit(name, chain: []) }
        try resolver.checkVirtualDependencies()
        let elements = resolver.ordered
        try checkProvides(elements)
        try checkHooks(elements)
        let systems = elements.filter { $0.provides.contains("operating-system") }
        guard let operatingSystem = systems.first else {
            throw ElementError.noOperatingSystem(elements: elements.map(\.name))
        }
        return BuildPlan(elements: elements, operatingSystem: operatingSystem, arch: arch, variables: variables)
    }

    /// Hooks of `phase` from every element, in lexical order of their names (DIB's order).
    public func hooks(for phase: Phase) -> [Hook] {
        elements.flatMap { $0.hooks[phase] ?? [] }.sorted { $0.name < $1.name }
    }

    /// The packages of `phase` after `arch`, `not-arch`, `installtype` and `when` filtering, in element order.
    public func packages(for phase: Phase) -> PackageSet {
        var set = PackageSet()
        for element in elements {
            for entry in element.packageInstalls where entry.phase == phase
                && entry.applies(arch: arch, variables: variables, element: element.name) {
                if entry.uninstall {
                    if !set.uninstall.contains(entry.package) { set.uninstall.append(entry.package) }
                } else if !set.install.contains(entry.package) {
                    set.install.append(entry.package)
                }
            }
        }
        return set
    }

    /// `environment.d` files of every element, sorted by file name (DIB sources them in that order).
    public var environmentFiles: [URL] {
        elements.flatMap(\.environmentFiles).sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    private static func checkProvides(_ elements: [Element]) throws {
        var providers: [String: [String]] = [:]
        for element in elements {
            for name in element.provides { providers[name, default: []].append(element.name) }
        }
        for (name, names) in providers.sorted(by: { $0.key < $1.key }) {
            let all = elements.contains { $0.name == name } ? [name] + names : names
            if all.count > 1 { throw ElementError.conflictingProvides(name: name, elements: all) }
        }
    }

    private static func checkHooks(_ elements: [Element]) throws {
        for phase in Phase.allCases {
            var owner: [String: String] = [:]
            for element in elements {
                for hook in element.hooks[phase] ?? [] {
                    if let other = owner[hook.name] {
                        throw ElementError.duplicateHook(phase: phase.rawValue, hook: hook.name, elements: [other, element.name])
                    }
                    owner[hook.name] = element.name
                }
            }
        }
    }
}

/// Depth-first walk over element-deps: post-order gives dependencies first; the path detects cycles.
private struct Resolver {
    let library: ElementLibrary
    var ordered: [Element] = []
    private var done: Set<String> = []
    private var path: [String] = []
    /// Names no element has, with the chain that asked; valid only if some element provides them.
    private var virtual: [(name: String, chain: [String])] = []

    init(library: ElementLibrary) { self.library = library }

    mutating func visit(_ name: String, chain: [String]) throws {
        if done.contains(name) { return }
        if let start = path.firstIndex(of: name) { throw ElementError.cycle(Array(path[start...]) + [name]) }
        guard let element = library.element(named: name) else {
            virtual.append((name, chain))
            return
        }
        path.append(name)
        for dependency in element.dependencies { try visit(dependency, chain: chain + [name]) }
        path.removeLast()
        done.insert(name)
        ordered.append(element)
    }

    func checkVirtualDependencies() throws {
        for (name, chain) in virtual where !ordered.contains(where: { $0.provides.contains(name) }) {
            throw ElementError.missing(
                name: name, chain: chain, searched: library.searchPath.map(\.path), available: library.elements.map(\.name))
        }
    }
}
