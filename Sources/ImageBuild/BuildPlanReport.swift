import Elements
public import Foundation

/// What `dibkit build … --plan` prints: the build resolved, nothing built — base and release, mirrors, the
/// database version, the elements in order with their hooks per phase, and each phase's hooks and packages.
public struct BuildPlanReport: Codable, Sendable, Equatable {
    /// How the base root is made: the operating-system element and its bootstrap.
    public struct Base: Codable, Sendable, Equatable {
        public var element: String
        public var tool: String
        public var variant: String
        public var include: [String]
    }

    /// The database version installed.
    public struct Database: Codable, Sendable, Equatable {
        public var element: String
        public var version: String
        public var source: String
        public var edition: String?
        public var packages: [String]
    }

    /// One element and its hooks per phase (phases without hooks left out).
    public struct ElementStep: Codable, Sendable, Equatable {
        public var name: String
        public var hooks: [String: [String]]
    }

    /// One phase: where it runs, its hooks in the order they run (`element/hook`), the packages installed at
    /// its start and removed at its end.
    public struct PhaseStep: Codable, Sendable, Equatable {
        public var phase: String
        public var inRoot: Bool
        public var hooks: [String]
        public var install: [String]
        public var uninstall: [String]
    }

    public var base: Base
    public var release: String
    public var arch: String
    /// Without their logins.
    public var mirror: String
    public var securityMirror: String?
    /// The apt sources of the base root (and the image), one-line form, without logins.
    public var sources: [String]
    /// The keyring the mirror is checked with: a file, or where it will be taken from.
    public var keyring: String
    public var database: Database?
    public var elements: [ElementStep]
    public var phases: [PhaseStep]
    public var output: String

    init(configuration: BuildConfiguration, plan: BuildPlan, selection: VersionSelection?) {
        let bootstrap = plan.operatingSystem.manifest.bootstrap
        base = Base(element: plan.operatingSystem.name, tool: bootstrap?.tool ?? "mmdebstrap",
                    variant: bootstrap?.variant ?? "minbase", include: bootstrap?.include ?? [])
        release = configuration.release
        arch = configuration.arch
        mirror = MirrorLogin.strip(configuration.mirror)
        securityMirror = configuration.securityMirror.map(MirrorLogin.strip)
        let components = (bootstrap?.components ?? ["main"]).joined(separator: " ")
        sources = configuration.distribution.suites(
            of: configuration.release, mirror: configuration.mirror, securityMirror: configuration.securityMirror
        ).map { "deb \(MirrorLogin.strip($0.mirror)) \($0.suite) \(components)" }
        keyring = ArchiveKeyring.planned(for: configuration)
        database = selection.map {
            Database(element: $0.element, version: configuration.installedVersion(of: $0), source: $0.source, edition: $0.edition?.rawValue, packages: $0.entry.packages)
        }
        elements = plan.elements.map { element in
            ElementStep(name: element.name, hooks: Dictionary(uniqueKeysWithValues: element.hooks.map { ($0.key.rawValue, $0.value.map(\.name)) }))
        }
        phases = Phase.allCases.compactMap { phase in
            let hooks = plan.hooks(for: phase).map { "\($0.element)/\($0.name)" }
            let packages = plan.packages(for: phase)
            guard !hooks.isEmpty || packages != PackageSet() else { return nil }
            return PhaseStep(phase: phase.rawValue, inRoot: phase.runsInTarget, hooks: hooks,
                             install: packages.install, uninstall: packages.uninstall)
        }
        output = configuration.output.path
    }

    /// The plan as lines of text.
    public var text: String {
        var lines = [
            "base: \(base.element) (\(base.tool) \(base.variant) + \(base.include.joined(separator: ", ")))",
            "release: \(release) (\(arch))"
                + (Distribution.unstableReleases.contains(release) ? ", Debian's unstable suite" : ""),
            "mirror: \(mirror)",
            "security mirror: \(securityMirror ?? (Distribution(release: release) == .ubuntu ? "(the mirror: it serves \(release)-security)" : "(none)"))",
            "keyring: \(keyring)",
            "sources:",
        ] + sources.map { "  \($0)" }
        if let database {
            lines.append("database: \(database.element) \(database.version) (\(database.source)"
                + (database.edition.map { ", \($0) edition" } ?? "")
                + (database.packages.isEmpty ? "" : ": \(database.packages.joined(separator: ", "))") + ")")
        }
        lines.append("output: \(output)")
        lines.append("elements, in order:")
        for element in elements {
            let phases = Phase.allCases.compactMap { phase in
                element.hooks[phase.rawValue].map { "\(phase.rawValue) \($0.joined(separator: " "))" }
            }
            lines.append("  \(element.name)" + (phases.isEmpty ? "" : ": " + phases.joined(separator: "; ")))
        }
        lines.append("phases:")
        for phase in phases {
            lines.append("  \(phase.phase) (\(phase.inRoot ? "in the root" : "on the host"))")
            if !phase.install.isEmpty { lines.append("    install: \(phase.install.joined(separator: " "))") }
            if !phase.uninstall.isEmpty { lines.append("    remove at its end: \(phase.uninstall.joined(separator: " "))") }
            if !phase.hooks.isEmpty { lines.append("    hooks: \(phase.hooks.joined(separator: " "))") }
        }
        return lines.joined(separator: "\n")
    }
}

/// `dibkit build … --plan`: resolves what `buildImage` would build — release and version (checked against
/// the mirror's index), elements, hooks and packages — and builds nothing.
/// - Throws: what `buildImage` throws before its first build step.
public func planBuild(
    _ settings: BuildSettings, environment: [String: String], currentDirectory: URL
) async throws -> BuildPlanReport {
    let configuration = try await BuildConfiguration.resolving(settings, environment: environment, currentDirectory: currentDirectory)
    let library = try ElementLibrary(searchPath: configuration.elementSearchPath)
    let (plan, selection) = try await resolve(configuration, in: library)
    return BuildPlanReport(configuration: configuration, plan: plan, selection: selection)
}
