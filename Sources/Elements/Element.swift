public import Foundation

/// One hook script: `install.d/20-redis-config` of element `redis`.
public struct Hook: Sendable, Equatable {
    public let element: String
    public let phase: Phase
    public let name: String
    public let path: URL
}

/// An element folder in diskimage-builder's layout, read once.
public struct Element: Sendable {
    public let name: String
    public let directory: URL
    /// Names from `element-deps`.
    public let dependencies: [String]
    /// Names from `element-provides`.
    public let provides: [String]
    /// `element.yaml`'s description, else the first line of the README.
    public let description: String
    public let hooks: [Phase: [Hook]]
    /// Files of `environment.d/`, sorted by name.
    public let environmentFiles: [URL]
    public let packageInstalls: [PackageInstall]
    public let manifest: ElementManifest

    /// Hook names DIB runs; others (`50-foo.sh`) are skipped, as `dib-run-parts` skips them.
    static func isHookName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-") }
    }

    /// Reads the element in `directory`.
    /// - Throws: `ElementError.badFile` for unreadable `package-installs.yaml` or `element.yaml`.
    public init(directory: URL) throws {
        self.directory = directory
        name = directory.lastPathComponent
        dependencies = Self.lines(directory.appendingPathComponent("element-deps"))
        provides = Self.lines(directory.appendingPathComponent("element-provides"))
        manifest = try ElementManifest.load(from: directory.appendingPathComponent("element.yaml"))
        packageInstalls = try PackageInstall.load(from: directory.appendingPathComponent("package-installs.yaml"))
        description = manifest.description ?? Self.readmeSummary(directory)
        var hooks: [Phase: [Hook]] = [:]
        let files = FileManager.default
        for phase in Phase.allCases {
            let folder = directory.appendingPathComponent(phase.rawValue)
            let names = (try? files.contentsOfDirectory(atPath: folder.path)) ?? []
            let found = names.sorted().filter(Self.isHookName)
                .map { Hook(element: directory.lastPathComponent, phase: phase, name: $0, path: folder.appendingPathComponent($0)) }
                .filter { files.isExecutableFile(atPath: $0.path.path) }
            if !found.isEmpty { hooks[phase] = found }
        }
        self.hooks = hooks
        let environment = directory.appendingPathComponent("environment.d")
        environmentFiles = ((try? files.contentsOfDirectory(atPath: environment.path)) ?? []).sorted()
            .map { environment.appendingPathComponent($0) }
    }

    private static func lines(_ file: URL) -> [String] {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return [] }
        return text.split(whereSeparator: \.isNewline).map { $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private static func readmeSummary(_ directory: URL) -> String {
        for name in ["README.md", "README.rst", "README"] {
            guard let text = try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8) else { continue }
            let line = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .first { !$0.isEmpty && !$0.hasPrefix("#") && !$0.allSatisfy { "=-~*".contains($0) } && $0 != directory.lastPathComponent }
            if let line { return line }
        }
        return ""
    }
}
