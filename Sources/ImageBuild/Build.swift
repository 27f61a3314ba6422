import Chroot
import DurableFiles
import Elements
import Foundation
import QcowIO
import SBOM
public import HostProcesses
public import Reporting

/// Builds one image: resolve elements → base root → phases → packages → sysprep → disk → bootloader → image →
/// manifest and SBOM. Each step is timed and reported; the output appears under its final name only when
/// complete, and the work folder is removed whatever happens.
/// - Parameters:
///   - configuration: what to build.
///   - progress: receives step events.
/// - Returns: the manifest written beside the image.
/// - Throws: `ElementError` for bad element input, `BuildError` naming the failing step or hook.
public func build(
    _ configuration: BuildConfiguration, progress: @escaping ProgressHandler
) async throws -> Manifest {
    let library = try ElementLibrary(searchPath: configuration.elementSearchPath)
    try FreeSpace.check(FreeSpace.needs(of: configuration))
    let timer = StepTimer(progress: progress)
    let (plan, selection) = try await timer.time("resolve") { try await resolve(configuration, in: library) }
    try prepareOutputFolder(configuration.output)
    let log = try BuildLog(directory: configuration.cacheDirectory.appendingPathComponent("logs"), name: configuration.imageName)
    return try await WorkDirectory.with(in: configuration.temporaryDirectory) { work in
        try await BuildContext(configuration: configuration, plan: plan, selection: selection, work: work, log: log)
            .run(timer: timer)
    }
}

/// Picks the database version (`-v`, `-c`/`-e`, the `vendor` source with `-p`) for the configuration's
/// release, checked against the mirror's index of that release, then resolves the elements asked for, plus
/// `vendor-package` with `-p` and `ssh-keys` with `-k`, under the variables that selection gives (so
/// package-installs' `when: DIBKIT_DB_SOURCE != vendor` applies).
func resolve(
    _ configuration: BuildConfiguration, in library: ElementLibrary
) async throws -> (BuildPlan, VersionSelection?) {
    if let package = configuration.vendorPackage, configuration.version == nil {
        throw BuildError.vendorPackageNeedsVersion(path: package.file.path)
    }
    let database = configuration.databaseElement(in: library)
    var selection: VersionSelection?
    if let database {
        let index = configuration.mirrorIndex
        selection = try await ReleaseChoice.choose(
            database: database, version: configuration.version, edition: configuration.edition,
            source: configuration.vendorPackage == nil ? nil : VersionTable.vendorSource, release: configuration.release,
            releases: BuildConfiguration.releases, archive: index.index(of:)).selection
        if selection?.source == VersionTable.vendorSource && configuration.vendorPackage == nil {
            throw ElementError.needsUserPackage(
                element: database.name,
                requested: database.manifest.installsOnlyFromUserPackage ? nil : configuration.version,
                supported: database.manifest.supportedVersions)
        }
    } else if configuration.version != nil || configuration.edition != nil {
        throw ElementError.noVersionTable(element: configuration.elements.first ?? "")
    }
    // The release's operating-system element (debian, ubuntu), unless an element asked for provides one.
    let providesSystem = configuration.elements.contains { (try? library.element(named: $0))?.provides.contains("operating-system") == true }
    var names = (providesSystem ? [] : [configuration.distribution.element]) + configuration.elements
    if configuration.vendorPackage != nil { names.append("vendor-package") }
    if configuration.authorizedKeys != nil { names.append("ssh-keys") }
    let variables = ["DIB_RELEASE": configuration.release, "ARCH": configuration.arch, "DIB_ARCH": configuration.arch]
        .merging(selection?.environment ?? [:]) { $1 }
        .merging(configuration.extraEnvironment) { own, _ in own }
    let plan = try BuildPlan.resolve(names, in: library, variables: variables, arch: configuration.arch)
    return (plan, selection)
}

/// The mutable state of one build, with its steps in order.
private struct BuildContext {
    let configuration: BuildConfiguration
    let plan: BuildPlan
    let selection: VersionSelection?
    let work: URL
    let log: BuildLog
    /// The root filesystem's UUID, from which every other identifier of the disk is derived: with
    /// `SOURCE_DATE_EPOCH`, a digest of the build's inputs (`BuildIdentity`); otherwise random.
    let rootUUID: String
    /// `-p`'s SHA-256: the manifest's, and an input of the installed tree's key and of the root UUID.
    let vendorPackageSHA256: String?

    init(configuration: BuildConfiguration, plan: BuildPlan, selection: VersionSelection?, work: URL, log: BuildLog) throws {
        self.configuration = configuration
        self.plan = plan
        self.selection = selection
        self.work = work
        self.log = log
        let vendorPackageSHA256 = try configuration.vendorPackage.map { try sha256(of: $0.file) }
        self.vendorPackageSHA256 = vendorPackageSHA256
        rootUUID = try configuration.sourceDateEpoch == nil
            ? UUID().uuidString.lowercased()
            : BuildIdentity.rootUUID(of: configuration, plan: plan, vendorPackageSHA256: vendorPackageSHA256)
    }

    var root: URL { work.appendingPathComponent("root") }
    var disk: URL { work.appendingPathComponent("disk.raw") }

    /// Runs every step after resolution; returns the manifest written beside the image.
    func run(timer: StepTimer) async throws -> Manifest {
        let keyring = try await ArchiveKeyring.locate(
            for: configuration.distribution, given: configuration.keyring, debianMirror: configuration.debianMirror,
            cacheDirectory: configuration.cacheDirectory)
        let baseRoot = BaseRoot(recipe: try recipe(keyring: keyring), cacheDirectory: configuration.cacheDirectory)
        let runner = try phaseRunner()
        let installedTree = try await step("mirror-state", timer) {
            try await self.installedTree(of: baseRoot.recipe, runner: runner, timer: timer)
        }
        let cacheLock = try await CacheLock(cache: configuration.cacheDirectory, progress: timer.progress)
        var fromInstalledTree = false
        if let installedTree, !configuration.refreshBaseRoot {
            fromInstalledTree = try await step("installed-tree", timer) {
                try await installedTree.restore(into: root) { timer.progress(.note($0)) }
            }
            if fromInstalledTree {
                timer.progress(.note("installed tree from cache \(installedTree.tarball.path): the phases up to install.d are skipped"))
            }
        }
        let cached: Bool
        if fromInstalledTree {
            cached = true
        } else {
            cached = try await step("base-root", timer) {
                try await baseRoot.materialize(
                    into: root, scratch: work.appendingPathComponent("bootstrap"), refresh: configuration.refreshBaseRoot,
                    log: log.append) { timer.progress(.note($0)) }
            }
            timer.progress(.note(cached ? "base root from cache \(baseRoot.tarball.path)" : "base root cached as \(baseRoot.tarball.path)"))
        }
        try await runner.stageHooks()
        let mirrorLogins = try baseRoot.recipe.aptLogins()
        var resolver = try installBuildGuards(mirrorLogins: mirrorLogins)
        var upgrades: Int?
        // A cached installed tree is current to the mirror's state in its key: its lists are updated only for
        // packages a later phase installs, and nothing is upgraded.
        var listsUpdated = false
        for phase in Phase.allCases where !(fromInstalledTree && InstalledTree.earlyPhases.contains(phase)) {
            try await step(phase.rawValue, timer) {
                if !listsUpdated && phase.runsInTarget && !fromInstalledTree {
                    let count = try await runner.updatePackageLists()
                    if cached { timer.progress(.note("base root brought up to the mirror: \(count) packages upgraded")) }
                    upgrades = count
                    listsUpdated = true
                } else if !listsUpdated && fromInstalledTree && !runner.plan.packages(for: phase).install.isEmpty {
                    try await runner.updatePackageLists(upgrade: false)
                    listsUpdated = true
                }
                try await runner.run(phase, detail: timer.progress)
                if phase.runsInTarget { resolver = try resolver.afterPhase(in: root) }
            }
            if phase == .install, !fromInstalledTree, let installedTree {
                // Cached as a later build finds it: without the host's resolver or the mirrors' logins.
                try await step("installed-tree-save", timer) {
                    try resolver.restore(in: root)
                    try await installedTree.save(root, excluding: [MirrorLogin.authFile, ExpiredRelease.aptFile])
                    resolver = try BuildResolver.lend(to: root)
                }
            }
        }
        cacheLock.release()
        let releases = MirrorReleases.read(
            lists: runner.aptLists, mirrors: baseRoot.recipe.suites.map(\.mirror), suites: baseRoot.recipe.suites.map(\.suite))
        // What dpkg installed, with the licenses of its copyright files: the manifest's package list and the SBOM.
        let packages = try await step("packages", timer) { try PackageInventory.read(root: root) }
        let rootBytes = try await step("sysprep", timer) {
            try Sysprep.clean(root: root)
            try resolver.restore(in: root)
            if let epoch = configuration.sourceDateEpoch { try await Sysprep.clampTimes(root: root, to: epoch) }
            return try await treeSize(root)
        }
        let assembler = DiskAssembler(
            root: root, disk: disk, size: configuration.diskSize, rootUUID: rootUUID, sourceDateEpoch: configuration.sourceDateEpoch, log: log)
        try await step("disk", timer) { try await assembler.writeFilesystem(workDirectory: work) }
        try await step("bootloader", timer) { try await assembler.installBootloader() }
        // Unlinking the tree's files waits on the disk; writing the image waits on the CPU: both at once.
        async let rootRemoved = CommandRunner.run(["rm", "-rf", "--one-file-system", root.path], label: "rm")
        let staged = configuration.output.deletingLastPathComponent()
            .appendingPathComponent(".\(configuration.output.lastPathComponent).\(getpid()).partial")
        defer { try? FileManager.default.removeItem(at: staged) }
        try await step("image", timer) { try await writeImage(to: staged, detail: timer.progress) }
        _ = try await rootRemoved
        return try await step("manifest", timer) {
            var manifest = Manifest(
                name: configuration.imageName, database: database?.name, databaseVersion: try databaseVersion(),
                loginUser: configuration.loginUser, authorizedKeys: configuration.authorizedKeys?.lines.count ?? 0,
                ports: database?.manifest.ports ?? [], elements: plan.elements.map(\.name),
                release: configuration.release, arch: configuration.arch, mirror: MirrorLogin.strip(configuration.mirror),
                format: configuration.format.rawValue,
                compression: configuration.format == .qcow2 ? configuration.compression.rawValue : "none",
                packages: packages.map { .init(name: $0.name, version: $0.version) }, sha256: try sha256(of: staged),
                sizes: .init(image: try fileSize(staged), virtual: configuration.diskSize, rootfs: rootBytes),
                phases: [], baseRootFromCache: cached,
                created: Date(), dibkitVersion: dibkitVersion)
            manifest.phases = timer.timings.map { .init(name: $0.name, seconds: $0.seconds) }
            manifest.mirrorReleases = releases
            manifest.baseRootUpgrades = upgrades
            manifest.installedTreeFromCache = installedTree == nil ? nil : fromInstalledTree
            manifest.sbom = configuration.sbomURL.lastPathComponent
            let sbom = SPDXDocument(
                image: DescribedImage(
                    name: configuration.imageName, version: manifest.databaseVersion?.version,
                    distribution: configuration.distribution.rawValue, release: configuration.release),
                packages: packages, created: configuration.sourceDate ?? Date())
            try publishImage(
                staged, as: configuration.output, manifest: manifest, at: configuration.manifestURL,
                sbom: try sbom.encoded(), at: configuration.sbomURL)
            return manifest
        }
    }

    /// The installed-tree cache entry for this build; nil with `--no-incremental`, or when the
    /// mirror's state cannot be read (said in a note: the build then goes the long way, and apt says what is wrong).
    private func installedTree(of recipe: BaseRoot.Recipe, runner: PhaseRunner, timer: StepTimer) async throws -> InstalledTree? {
        guard configuration.incremental else { return nil }
        // ElementLibrary's search path ends with dibkit's own elements.
        let builtIn = configuration.elementSearchPath.last ?? URL(fileURLWithPath: "/")
        let foreign = InstalledTree.foreignEarlyHooks(in: plan, builtIn: builtIn)
        guard foreign.isEmpty else {
            timer.progress(.note("no installed-tree cache for this build: \(foreign.joined(separator: ", ")) "
                + "\(foreign.count == 1 ? "has hooks" : "have hooks") before post-install.d, whose inputs from outside the element "
                + "(sources they fetch, files variables name) no key can see"))
            return nil
        }
        let releases: [(suite: String, sha256: String)]
        do {
            releases = try await InstalledTree.mirrorState(of: recipe, cacheDirectory: configuration.cacheDirectory)
        } catch let error as BuildError {
            timer.progress(.note("no installed-tree cache for this build: \(error)"))
            return nil
        }
        let inputs = InstalledTree.Inputs(
            recipe: recipe, releases: releases, plan: plan, builtIn: builtIn, environment: runner.environment,
            vendorPackageSHA256: vendorPackageSHA256)
        return try InstalledTree(inputs, cacheDirectory: configuration.cacheDirectory)
    }

    /// Runs `body` as the timed step `name`; a build log that could not be written (a full disk shows
    /// there first) fails the step.
    private func step<T>(_ name: String, _ timer: StepTimer, _ body: () async throws -> T) async throws -> T {
        let result = try await timer.time(name, body)
        try log.checkWritten()
        return result
    }

    /// The requested database element: the first one asked for that declares ports.
    private var database: Element? {
        plan.elements.first { configuration.elements.contains($0.name) && !$0.manifest.ports.isEmpty }
    }

    private func databaseVersion() throws -> Manifest.DatabaseVersion? {
        guard let selection else { return nil }
        let package = configuration.vendorPackage
        return .init(
            version: configuration.installedVersion(of: selection), source: selection.source, edition: selection.edition?.rawValue,
            vendorPackage: package?.file.lastPathComponent, vendorPackageSHA256: vendorPackageSHA256)
    }

    private func recipe(keyring: URL?) throws -> BaseRoot.Recipe {
        let bootstrap = plan.operatingSystem.manifest.bootstrap
        return BaseRoot.Recipe(
            release: configuration.release, arch: configuration.arch, mirror: configuration.mirror,
            securityMirror: configuration.securityMirror, variant: bootstrap?.variant ?? "minbase",
            components: bootstrap?.components ?? ["main"], include: bootstrap?.include ?? [],
            pathFilter: bootstrap?.pathFilter ?? [], keyring: keyring, acceptExpiredRelease: configuration.acceptExpiredRelease,
            sourceDateEpoch: configuration.sourceDateEpoch)
    }

    /// Stages what `-p` and `-k` give into the hooks folder; returns the variables hooks get for them.
    private func stageUserFiles(into hooks: URL) throws -> [String: String] {
        var variables: [String: String] = [:]
        if let package = configuration.vendorPackage {
            variables.merge(try package.stage(into: hooks, inRootHooks: PhaseRunner.inTargetHooks)) { $1 }
        }
        try configuration.authorizedKeys?.stage(into: hooks)
        return variables
    }

    private func phaseRunner() throws -> PhaseRunner {
        let aptCache = configuration.cacheDirectory.appendingPathComponent("apt")
            .appendingPathComponent("\(configuration.release)-\(configuration.arch)")
        // Hooks get the mirrors without their logins (they write them into the image); apt gets the logins apart.
        let mirror = MirrorLogin.strip(configuration.mirror)
        var environment: [String: String] = [
            "DISTRO_NAME": plan.operatingSystem.name, "DIB_RELEASE": configuration.release,
            "ARCH": configuration.arch, "DIB_ARCH": configuration.arch,
            "DIB_DISTRIBUTION_MIRROR": mirror, configuration.distribution == .ubuntu ? "DIB_UBUNTU_MIRROR" : "DIB_DEBIAN_MIRROR": mirror,
            "DIB_INIT_SYSTEM": "systemd", "DIB_PYTHON_VERSION": "3", "DIB_PYTHON": "python3",
            "IMAGE_NAME": configuration.imageName, "IMAGE_ELEMENT": plan.elements.map(\.name).joined(separator: " "),
            "ELEMENTS_PATH": configuration.elementSearchPath.map(\.path).joined(separator: ":"),
            "DIBKIT_LOGIN_USER": configuration.loginUser, "DIBKIT_ROOT_UUID": rootUUID,
            "DEBIAN_FRONTEND": "noninteractive", "LANG": "C.UTF-8", "HOME": "/root", "TMPDIR": "/tmp",
            "TMP_HOOKS_PATH": PhaseRunner.inTargetHooks,
        ]
        // Packages' scripts read it: initramfs-tools dates the initramfs's files, adduser the password's change
        // day, py3compile writes hash-checked bytecode (which a clamped source time does not make stale).
        if let epoch = configuration.sourceDateEpoch { environment["SOURCE_DATE_EPOCH"] = "\(epoch)" }
        if let security = configuration.securityMirror {
            environment[configuration.distribution == .ubuntu ? "DIB_UBUNTU_SECURITY_MIRROR" : "DIB_DEBIAN_SECURITY_MIRROR"] =
                MirrorLogin.strip(security)
        }
        environment.merge(selection?.environment ?? [:]) { $1 }
        let hooks = work.appendingPathComponent("in_target.d")
        environment.merge(try stageUserFiles(into: hooks)) { $1 }
        environment.merge(configuration.extraEnvironment) { own, _ in own }
        return PhaseRunner(
            plan: plan, root: root, hooksDirectory: hooks,
            aptArchives: aptCache.appendingPathComponent("archives"), aptLists: aptCache.appendingPathComponent("lists"),
            environment: environment, log: log)
    }

    /// Keeps services from starting inside the root, lets dpkg skip its fsyncs, gives the root the host's DNS
    /// and apt the mirrors' logins; all go in sysprep (the resolver through the returned `BuildResolver`).
    private func installBuildGuards(mirrorLogins: Data?) throws -> BuildResolver {
        if let mirrorLogins { try MirrorLogin.install(mirrorLogins, in: root) }
        if configuration.acceptExpiredRelease { try ExpiredRelease.install(in: root) }
        let policy = root.appendingPathComponent("usr/sbin/policy-rc.d")
        try FileWriter.write(Data("#!/bin/sh\n# dibkit build: no service starts inside the image's root\nexit 101\n".utf8),
                             to: policy, mode: 0o755)
        try FileWriter.write(Data("# dibkit build: removed from the image\nforce-unsafe-io\n".utf8),
                             to: root.appendingPathComponent(Sysprep.buildDpkgConfig), mode: 0o644)
        return try BuildResolver.lend(to: root)
    }

    /// Writes the final image from the raw disk through QcowIO: qcow2 v3 with zero clusters left out and
    /// clusters compressed on every core, or a sparse raw file.
    private func writeImage(to staged: URL, detail: @escaping ProgressHandler) async throws {
        let compression: ClusterCompression? = switch configuration.compression {
        case .none: nil
        case .deflate: .deflate
        case .zstd: .zstd
        }
        let options = ConvertOptions(
            format: configuration.format == .qcow2 ? .qcow2 : .raw,
            compression: configuration.format == .qcow2 ? compression : nil)
        let result = try await convert(from: disk, to: staged, options: options)
        detail(.detail("\(result.outputFormat.rawValue): \(result.fileSize / 1_000_000) MB from "
            + "\(result.virtualSize >> 20) MiB virtual in \(String(format: "%.1f", result.seconds)) s"))
    }
}

/// Publishes a finished image, its SBOM and its manifest, each flushed to disk before the rename that gives
/// it its name: the SBOM first, then the manifest that points at it, then the image, so that an image never
/// exists without the manifest that describes it, nor a manifest without its SBOM. What cannot be put in
/// place takes the new files before it with it.
/// - Parameter staged: the complete image, in `output`'s folder; left for the caller to remove on failure.
/// - Throws: `FileWriteError` naming the file and the cause.
func publishImage(
    _ staged: URL, as output: URL, manifest: Manifest, at manifestURL: URL, sbom: Data, at sbomURL: URL,
    publisher: FilePublisher = FilePublisher()
) throws {
    try publisher.write(sbom, to: sbomURL)
    do {
        try publisher.write(try Manifest.encoder.encode(manifest), to: manifestURL)
    } catch {
        try? FileManager.default.removeItem(at: sbomURL)
        throw error
    }
    do {
        try publisher.publish(staged, as: output)
    } catch {
        // Still staged: the image was not renamed, so its manifest and SBOM must not stay.
        if FileManager.default.fileExists(atPath: staged.path) {
            try? FileManager.default.removeItem(at: manifestURL)
            try? FileManager.default.removeItem(at: sbomURL)
        }
        throw error
    }
}
