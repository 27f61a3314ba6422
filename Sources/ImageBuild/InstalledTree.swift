import Archive
import DurableFiles
import Elements
import Foundation
import HostProcesses
import Reporting

/// The root as `install.d` left it, cached so that a rebuild whose packages and early hooks did not change
/// starts there and runs only the phases after `install.d` (mkosi's `Incremental=`).
///
/// Keyed by everything that phases up to `install.d` can see: the base root's recipe, each suite's `InRelease`
/// (the mirror's state), the elements and their files, the packages per phase, the hooks' variables, the
/// vendor package, dibkit's in-target tools and version. Later-phase hook folders (`post-install.d` …
/// `cleanup.d`) and READMEs are left out of the key, and so is the `static/` of a built-in element with no hook
/// before `post-install.d`: dibkit's elements install their files (first-boot hooks, modules, units) from
/// `post-install.d`, so a change there reuses the tree. Other elements' `static/` always counts (DIB's
/// `install-static` copies every element's from `install.d`), and a build with another element's hooks before
/// `post-install.d` does not use the cache at all (`foreignEarlyHooks`): what they fetch or read from outside
/// their folder (DIB's `source-repositories`, `apt-sources`) is no input the key can see.
///
/// Kept under `CACHE/installed/` as `RELEASE-ARCH-LINEAGE-KEY.tar` (with its checksum, as the base root is);
/// the lineage (base recipe and element names) groups one image's trees, and publishing a tree removes the
/// older ones of its lineage.
struct InstalledTree: Sendable {
    /// What phases up to `install.d` depend on.
    struct Inputs: Sendable {
        var recipe: BaseRoot.Recipe
        /// Each suite with the SHA-256 of its `InRelease`, in the recipe's order.
        var releases: [(suite: String, sha256: String)]
        var plan: BuildPlan
        /// dibkit's own elements' folder: their `static/` follows dibkit's convention.
        var builtIn: URL
        /// The hooks' variables.
        var environment: [String: String]
        var vendorPackageSHA256: String?
    }

    /// Variables that differ from build to build without reaching a phase up to `install.d` (checked by a test
    /// over the built-in elements): the image's name and root UUID, and where dibkit finds things and runs
    /// guests (dibkit's own settings; the elements' folders count by their content, not by where they are).
    static let unkeyedVariables: Set<String> = [
        "IMAGE_NAME", "DIBKIT_ROOT_UUID", "ELEMENTS_PATH",
        "DIBKIT_ACCEL", "DIBKIT_CACHE_DIR", "DIBKIT_ELEMENTS_DIR", "DIBKIT_SOURCE",
    ]
    static let earlyPhases: [Phase] = [.root, .extraData, .preInstall, .install]

    let cachedTar: CachedTar
    /// `RELEASE-ARCH-LINEAGE-`: the start of the names of this tree and of the others of its lineage.
    private let lineagePrefix: String

    /// The cached tree for `inputs` under `cacheDirectory`.
    init(_ inputs: Inputs, cacheDirectory: URL) throws {
        let lineage = shortDigest(of: [inputs.recipe.cacheKey] + inputs.plan.elements.map(\.name))
        lineagePrefix = "\(inputs.recipe.release)-\(inputs.recipe.arch)-\(lineage)-"
        cachedTar = CachedTar(tarball: cacheDirectory.appendingPathComponent("installed")
            .appendingPathComponent("\(lineagePrefix)\(shortDigest(of: try Self.keyLines(inputs))).tar"))
    }

    var tarball: URL { cachedTar.tarball }

    /// The elements of `plan` from outside `builtIn` with hooks up to `install.d`.
    static func foreignEarlyHooks(in plan: BuildPlan, builtIn: URL) -> [String] {
        plan.elements.filter { !isBuiltIn($0, builtIn) && hasEarlyHooks($0.directory) }.map(\.name)
    }

    private static func isBuiltIn(_ element: Element, _ builtIn: URL) -> Bool {
        element.directory.deletingLastPathComponent().standardizedFileURL.path == builtIn.standardizedFileURL.path
    }

    private static func hasEarlyHooks(_ directory: URL) -> Bool {
        earlyPhases.contains { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0.rawValue).path) }
    }

    /// The SHA-256 of each suite's `InRelease` on its mirror: the mirror's state the packages come from.
    /// - Throws: `BuildError.mirrorIndex` when one cannot be read.
    static func mirrorState(of recipe: BaseRoot.Recipe, cacheDirectory: URL) async throws -> [(suite: String, sha256: String)] {
        var releases: [(suite: String, sha256: String)] = []
        for (suite, mirror) in recipe.suites {
            let index = MirrorIndex(mirror: mirror, arch: recipe.arch, cacheDirectory: cacheDirectory)
            let release = try await index.fetch("dists/\(suite)/InRelease", suite: suite)
            releases.append((suite, sha256(of: release)))
        }
        return releases
    }

    /// Puts the cached tree in `root` when it is there and intact; its checksum is checked while it is
    /// extracted (one core each), and `root` is removed again when it does not match.
    /// - Returns: whether it was.
    func restore(into root: URL, note: (String) -> Void) async throws -> Bool {
        guard FileManager.default.fileExists(atPath: tarball.path) else { return false }
        let tar = cachedTar
        async let problem = tar.verify("the cached installed tree")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let extracted = Result { try TarArchive.extract(tar.tarball, into: root, trust: .trusted) }
        if let problem = try await problem {
            note(problem)
            try FileManager.default.removeItem(at: root)
            return false
        }
        _ = try extracted.get()
        return true
    }

    /// Caches `root` (less the paths `excluded`, relative to it), then removes the older trees of its lineage.
    func save(_ root: URL, excluding excluded: [String], publisher: FilePublisher = FilePublisher()) async throws {
        try await cachedTar.fill(publisher: publisher) { partial in
            // pax keeps extended attributes (file capabilities) and ACLs; names sorted for a stable tar.
            let arguments = ["tar", "--create", "--format=pax", "--file", partial.path, "--directory", root.path,
                             "--numeric-owner", "--xattrs", "--xattrs-include=*", "--acls", "--sort=name", "--sparse"]
                + excluded.map { "--exclude=./\($0)" } + ["."]
            try await CommandRunner.run(arguments, label: "tar (the installed tree)")
        }
        let name = tarball.lastPathComponent
        let folder = tarball.deletingLastPathComponent()
        for other in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        where other.hasPrefix(lineagePrefix) && other.hasSuffix(".tar") && other != name && other.count == name.count {
            CachedTar(tarball: folder.appendingPathComponent(other)).remove()
        }
    }

    /// The key's text: one line per input.
    static func keyLines(_ inputs: Inputs) throws -> [String] {
        var lines = ["installed-tree v1", "dibkit \(dibkitVersion)", "base \(inputs.recipe.cacheKey)"]
        lines += inputs.releases.map { "release \($0.suite) \($0.sha256)" }
        for phase in Phase.packagePhases where earlyPhases.contains(phase) {
            let packages = inputs.plan.packages(for: phase)
            lines.append("packages \(phase.rawValue) +\(packages.install.joined(separator: ",")) -\(packages.uninstall.joined(separator: ","))")
        }
        lines += inputs.environment.filter { !unkeyedVariables.contains($0.key) }.sorted { $0.key < $1.key }.map { "env \($0.key)=\($0.value)" }
        lines.append("vendor-package \(inputs.vendorPackageSHA256 ?? "none")")
        lines += InTargetTools.files.sorted { $0.key < $1.key }.map { "tool \($0.key) \(shortDigest(of: [$0.value]))" }
        lines += inputs.plan.packageMapFiles.sorted { $0.key < $1.key }.map { "pkg-map \($0.key) \(shortDigest(of: [$0.value]))" }
        for element in inputs.plan.elements {
            lines.append("element \(element.name)")
            lines += try keyedFiles(of: element.directory, builtIn: isBuiltIn(element, inputs.builtIn)).map { "  \($0)" }
        }
        return lines
    }

    /// The files of an element that phases up to `install.d` can read (`ElementFiles`' lines).
    static func keyedFiles(of directory: URL, builtIn: Bool) throws -> [String] {
        let later = Set(Phase.allCases.filter { !earlyPhases.contains($0) }.map(\.rawValue))
        let staticUnread = builtIn && !hasEarlyHooks(directory)
        return try ElementFiles.digests(of: directory) { path in
            let top = path.split(separator: "/").first.map(String.init) ?? path
            return later.contains(top) || (top == "static" && staticUnread) || (path == top && top.hasPrefix("README"))
        }
    }
}
