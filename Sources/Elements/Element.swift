public import Foundation

/// An element folder in diskimage-builder's layout, read once.
public struct Element: Sendable {
    public let name: String
    public let directory: URL
    /// Names from `element-deps`: elements, or names some element provides.
    public let dependencies: [String]
    /// Names from `element-provides` (e.g. `operating-system`).
    public let provides: [String]
    /// `element.yaml`'s description, else the first sentence of the README.
    public let description: String
    /// The hooks `dib-run-parts` would run, per phase, in its order.
    public let hooks: [Phase: [Hook]]
    /// Files of `environment.d/`, in name order.
    public let environmentFiles: [URL]
    /// Entries of `package-installs.yaml` (or `.json`), in file order.
    public let packageInstalls: [PackageInstall]
    /// The element's `pkg-map`, translating the package names it installs.
    public let packageMap: PackageMap?
    public let manifest: ElementManifest
    /// Folder → names of the files in it, for every folder diskimage-builder merges into
    /// `/tmp/in_target.d` (all but `tests`): two elements bringing one such file is an error.
    let mergedFiles: [String: [String]]

    /// Reads the element in `directory`.
    /// - Throws: `ElementError.badFile` for a malformed `package-installs.yaml`, `pkg-map` or `element.yaml`.
    public init(directory: URL) throws {
        self.directory = directory
        name = directory.lastPathComponent
        dependencies = Self.names(in: directory.appendingPathComponent("element-deps"))
        provides = Self.names(in: directory.appendingPathComponent("element-provides"))
        manifest = try ElementManifest.load(from: directory.appendingPathComponent("element.yaml"))
        packageInstalls = try PackageInstall.load(element: name, directory: directory)
        packageMap = try PackageMap.load(from: directory.appendingPathComponent("pkg-map"))
        description = manifest.description ?? Self.readmeSummary(directory)
        var hooks: [Phase: [Hook]] = [:]
        for phase in Phase.allCases {
            let folder = directory.appendingPathComponent(phase.rawValue)
            let found = Self.files(in: folder)
                .filter { Hook.isRunnable(name: $0) }
                .filter { FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent($0).path) }
                .sorted(by: Hook.runsBefore)
                .map { Hook(element: directory.lastPathComponent, phase: phase, name: $0, path: folder.appendingPathComponent($0)) }
            if !found.isEmpty { hooks[phase] = found }
        }
        self.hooks = hooks
        let environment = directory.appendingPathComponent("environment.d")
        environmentFiles = Self.files(in: environment).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            .map { environment.appendingPathComponent($0) }
        var merged: [String: [String]] = [:]
        for folder in Self.entries(of: directory) where folder != "tests" && folder != "__pycache__" && !folder.hasPrefix(".") {
            let files = Self.files(in: directory.appendingPathComponent(folder))
            if !files.isEmpty { merged[folder] = files }
        }
        mergedFiles = merged
    }

    /// Names of the regular files (or links to them) directly in `folder`, unsorted; none if it is missing.
    static func files(in folder: URL) -> [String] {
        entries(of: folder).filter { !isFolder(folder.appendingPathComponent($0)) && !$0.hasPrefix(".") }
            .filter { FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }
    }

    static func entries(of folder: URL) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    }

    static func isFolder(_ url: URL) -> Bool {
        var folder: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &folder) && folder.boolValue
    }

    /// One name per line; blank lines and `#` comments are ignored.
    private static func names(in file: URL) -> [String] {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return [] }
        var seen: Set<String> = []
        return text.split(whereSeparator: \.isNewline)
            .map { $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    /// The first sentence of the README's first paragraph, skipping titles, underlines and directives.
    private static func readmeSummary(_ directory: URL) -> String {
        for file in ["README.rst", "README.md", "README"] {
            guard let text = try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8) else { continue }
            var paragraph: [String] = []
            for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
                let line = raw.trimmingCharacters(in: .whitespaces)
                let decoration = !line.isEmpty && line.allSatisfy { "=-~*^#+`".contains($0) }
                let skipped = decoration || line.hasPrefix("#") || line.hasPrefix("..") || line.hasPrefix(":")
                    || line == directory.lastPathComponent
                if line.isEmpty || skipped {
                    if !paragraph.isEmpty { break }
                    continue
                }
                paragraph.append(line)
            }
            guard !paragraph.isEmpty else { continue }
            let joined = paragraph.joined(separator: " ")
            if let end = joined.range(of: ". ") { return String(joined[..<end.lowerBound]) + "." }
            return joined
        }
        return ""
    }
}
