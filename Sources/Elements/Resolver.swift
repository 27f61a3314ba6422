/// Depth-first walk over `element-deps`: post-order puts dependencies first, the current path detects
/// cycles, and names no element has wait until the end, when some element of the build must provide them.
struct Resolver {
    let library: ElementLibrary
    private var ordered: [Element] = []
    private var done: Set<String> = []
    private var path: [String] = []
    /// Provided name → the element providing it.
    private var providers: [String: String] = [:]
    /// Names no element has, with the chain that asked for them.
    private var virtual: [(name: String, chain: [String])] = []

    init(library: ElementLibrary) { self.library = library }

    /// diskimage-builder elements whose work dibkit does itself: `package-installs` and `pkg-map` (the plan's
    /// packages and `pkg-map.d`), `dpkg` (`install-packages`, apt settings, policy-rc.d), `dib-init-system`,
    /// `dib-run-parts` and `install-types`. A dependency on one of them is satisfied without an element, so
    /// an element written for DIB that lists them in `element-deps` resolves unchanged.
    static let builtIn: Set<String> = [
        "package-installs", "pkg-map", "dpkg", "dib-init-system", "dib-run-parts", "install-types",
    ]

    func provider(of name: String) -> String? { providers[name] }

    /// Adds `name` and its dependencies. `requested` names were asked for by the user: they are resolved
    /// even when provided (and `finish` then reports the clash), where a dependency on a provided name is
    /// satisfied by its provider.
    mutating func visit(_ name: String, chain: [String], requested: Bool = false) throws {
        if done.contains(name) || Self.builtIn.contains(name) || (!requested && providers[name] != nil) { return }
        if let start = path.firstIndex(of: name) { throw ElementError.cycle(Array(path[start...]) + [name]) }
        guard let element = library.lookup(name) else {
            virtual.append((name, chain))
            return
        }
        for provided in element.provides where provided != name {
            if let other = providers[provided], other != name {
                throw ElementError.conflictingProvides(name: provided, elements: [other, name])
            }
            providers[provided] = name
        }
        path.append(name)
        for dependency in element.dependencies { try visit(dependency, chain: chain + [name]) }
        path.removeLast()
        done.insert(name)
        ordered.append(element)
    }

    /// The resolved elements, once every check passed. An element reached before another element of the
    /// build turned out to provide its name is left out, as diskimage-builder leaves it out.
    mutating func finish(requested: [String]) throws -> [Element] {
        for name in requested {
            if let provider = providers[name], provider != name {
                throw ElementError.alreadyProvided(name: name, provider: provider)
            }
        }
        for (name, chain) in virtual where providers[name] == nil {
            try _ = library.element(named: name, chain: chain)
        }
        return ordered.filter { providers[$0.name] == nil }
    }
}
