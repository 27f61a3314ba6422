public import Foundation

/// The elements of one build, resolved and checked: their order, their hooks per phase, their packages.
public struct BuildPlan: Sendable {
    /// The element names asked for, in order.
    public let requested: [String]
    /// Every element, dependencies before the elements that need them; deterministic for one request.
    public let elements: [Element]
    /// The element providing `operating-system`.
    public let operatingSystem: Element
    /// The target architecture (`amd64`).
    public let arch: String
    /// The variables `package-installs.yaml` was evaluated with: the ones given, over defaults for
    /// `ARCH`, `DIB_ARCH`, `DISTRO_NAME` (the operating-system element's name), `DIB_PYTHON_VERSION` (3)
    /// and `DIB_INIT_SYSTEM` (systemd).
    public let variables: [String: String]
    private let library: ElementLibrary
    private let hooksByPhase: [Phase: [Hook]]
    private let packagesByPhase: [Phase: PackageSet]

    /// Resolves `requested` and everything they depend on, diskimage-builder's way: `element-deps` are
    /// followed depth first, a name some element of the build provides is satisfied by that element, and
    /// every folder of the elements must merge without two files of one name.
    /// - Parameters:
    ///   - requested: element names, in the order asked for.
    ///   - library: where elements are found.
    ///   - variables: the build's variables, for `when:` in `package-installs.yaml` and for `pkg-map`
    ///     (`DISTRO_NAME`, `DIB_RELEASE`). Pass the environment hooks get.
    ///   - arch: the target architecture, for `arch:` / `not-arch:`.
    /// - Throws: `ElementError` for a missing element (with the chain that needed it), a cycle, two
    ///   elements providing one name, an element asked for that another provides, two files of one name
    ///   in one merged folder, no operating system, a `when:` on a variable that is not set, or a database
    ///   that installs only from the user's package when `variables` has no `DIBKIT_PACKAGE`.
    public static func resolve(
        _ requested: [String], in library: ElementLibrary, variables: [String: String], arch: String
    ) throws -> BuildPlan {
        var resolver = Resolver(library: library)
        for name in requested { try resolver.visit(name, chain: [], requested: true) }
        let elements = try resolver.finish(requested: requested)
        guard let system = resolver.provider(of: "operating-system"),
              let operatingSystem = elements.first(where: { $0.name == system })
        else { throw ElementError.noOperatingSystem(elements: elements.map(\.name)) }
        try checkMergedFiles(elements)
        var defaults = ["ARCH": arch, "DIB_ARCH": arch, "DISTRO_NAME": operatingSystem.name,
                        "DIB_PYTHON_VERSION": "3", "DIB_INIT_SYSTEM": "systemd"]
        defaults.merge(variables) { $1 }
        var hooks: [Phase: [Hook]] = [:]
        for phase in Phase.allCases {
            hooks[phase] = elements.flatMap { $0.hooks[phase] ?? [] }.sorted { Hook.runsBefore($0.name, $1.name) }
        }
        let plan = BuildPlan(
            requested: requested, elements: elements, operatingSystem: operatingSystem, arch: arch, variables: defaults,
            library: library, hooksByPhase: hooks,
            packagesByPhase: try PackageSet.squash(elements, arch: arch, variables: defaults))
        if let database = plan.databaseElement, database.manifest.installsOnlyFromUserPackage,
           defaults[userPackageVariable, default: ""].isEmpty {
            throw ElementError.needsUserPackage(element: database.name, supported: database.manifest.supportedVersions)
        }
        return plan
    }

    /// The variable the build sets to the in-root path of the user's package (`-p`). A database element whose
    /// version tables hold only `vendor` rows (MySQL, MongoDB: not in Debian) does not resolve without it.
    public static let userPackageVariable = "DIBKIT_PACKAGE"

    /// Hooks of `phase` from every element, in `dib-run-parts`' order of their names.
    public func hooks(for phase: Phase) -> [Hook] { hooksByPhase[phase] ?? [] }

    /// The packages of `phase`, after `arch`, `not-arch`, `installtype`, `dib_python_version` and `when`
    /// filtering and each element's `pkg-map`: install them at the start of the phase, remove the
    /// `uninstall` ones at its end. Host phases have none.
    public func packages(for phase: Phase) -> PackageSet { packagesByPhase[phase] ?? PackageSet() }

    /// `environment.d` files of every element, sorted by file name (the order diskimage-builder sources
    /// them in, before every phase).
    public var environmentFiles: [URL] {
        elements.flatMap(\.environmentFiles).sorted {
            Array($0.lastPathComponent.utf8).lexicographicallyPrecedes(Array($1.lastPathComponent.utf8))
        }
    }

    /// The `pkg-map` of every element that has one, resolved for this build's distribution and release:
    /// element name → lines `NAME<TAB>PACKAGES` (PACKAGES may be empty: nothing to install). The build
    /// writes them to `/tmp/in_target.d/pkg-map.d/ELEMENT`, where `install-packages -m` and `pkg-map` read them.
    public var packageMapFiles: [String: String] {
        let distro = variables["DISTRO_NAME"] ?? operatingSystem.name
        var files: [String: String] = [:]
        for element in elements {
            guard let map = element.packageMap else { continue }
            files[element.name] = map.translations(distro: distro, release: variables["DIB_RELEASE"])
                .sorted { $0.key < $1.key }.map { "\($0.key)\t\($0.value)\n" }.joined()
        }
        return files
    }

    /// `name` and its dependencies as an indented tree (for `dibkit elements show`).
    public func dependencyTree(of name: String) -> String { library.dependencyTree(of: name) }

    /// The element asked for whose `element.yaml` has a version table or editions (the database), if any.
    public var databaseElement: Element? {
        requested.lazy.compactMap { name in self.elements.first { $0.name == name } }
            .first { !$0.manifest.versions.isEmpty || !$0.manifest.editions.isEmpty }
    }

    /// Every folder diskimage-builder merges into `/tmp/in_target.d` must take each file name once;
    /// the names of dibkit's own tools in `bin/` are taken too.
    private static func checkMergedFiles(_ elements: [Element]) throws {
        var owner: [String: String] = [:]
        for name in InTargetTools.files.keys { owner["bin/" + name] = "dibkit's own tools" }
        for element in elements {
            for (folder, files) in element.mergedFiles.sorted(by: { $0.key < $1.key }) {
                for file in files.sorted() {
                    let key = folder + "/" + file
                    if let other = owner[key] {
                        throw ElementError.duplicateHook(phase: folder, hook: file, elements: [other, element.name])
                    }
                    owner[key] = element.name
                }
            }
        }
    }
}
