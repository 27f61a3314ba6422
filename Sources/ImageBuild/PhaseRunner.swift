import Chroot
import DurableFiles
import Elements
import Foundation
import HostProcesses
import Reporting

/// Runs the element phases of a plan over a root tree, diskimage-builder style: hooks of all elements
/// merged per phase and run in lexical order, host phases on the host, the others inside the root.
struct PhaseRunner {
    /// Where in the root the merged hooks appear (DIB's path, which elements may rely on).
    static let inTargetHooks = "/tmp/in_target.d"

    let plan: BuildPlan
    let root: URL
    /// The host side of `/tmp/in_target.d`.
    let hooksDirectory: URL
    let aptArchives: URL
    let aptLists: URL
    let environment: [String: String]
    let log: BuildLog

    /// Copies every element's files into the hooks folder (as DIB does), adds dibkit's in-target tools.
    func stageHooks() async throws {
        let files = FileManager.default
        try files.createDirectory(at: hooksDirectory, withIntermediateDirectories: true)
        for element in plan.elements {
            try await CommandRunner.run(["cp", "-a", "--", element.directory.path + "/.", hooksDirectory.path])
        }
        let maps = hooksDirectory.appendingPathComponent("pkg-map.d")
        try files.createDirectory(at: maps, withIntermediateDirectories: true)
        for (element, lines) in plan.packageMapFiles {
            try FileWriter.write(Data(lines.utf8), to: maps.appendingPathComponent(element))
        }
        let environmentFolder = hooksDirectory.appendingPathComponent("environment.d")
        try files.createDirectory(at: environmentFolder, withIntermediateDirectories: true)
        let bin = hooksDirectory.appendingPathComponent("bin")
        try files.createDirectory(at: bin, withIntermediateDirectories: true)
        for (name, contents) in InTargetTools.files {
            try FileWriter.write(Data(contents.utf8), to: bin.appendingPathComponent(name), mode: 0o755)
        }
        for folder in [aptArchives.appendingPathComponent("partial"), aptLists.appendingPathComponent("partial")] {
            try files.createDirectory(at: folder, withIntermediateDirectories: true)
        }
    }

    /// Runs one phase: its packages first (in-root phases), then its hooks; `environment.d` is sourced for
    /// both, as diskimage-builder's package-installs hook has it (the vm element's `INITRD=No` reaches dpkg).
    func run(_ phase: Phase, detail: ProgressHandler) async throws {
        if phase.runsInTarget {
            let packages = plan.packages(for: phase)
            if !packages.install.isEmpty {
                detail(.detail("install-packages \(packages.install.joined(separator: " "))"))
                try await inRoot("\(sourceEnvironment(Self.inTargetHooks))\ninstall-packages \(packages.install.map(shellQuote).joined(separator: " "))",
                                 label: "\(phase.rawValue): installing \(packages.install.joined(separator: ", "))")
            }
            try await runHooks(phase, detail: detail)
            if !packages.uninstall.isEmpty {
                try await inRoot("\(sourceEnvironment(Self.inTargetHooks))\ninstall-packages -e \(packages.uninstall.map(shellQuote).joined(separator: " "))",
                                 label: "\(phase.rawValue): removing \(packages.uninstall.joined(separator: ", "))")
            }
        } else {
            try await runHooks(phase, detail: detail)
        }
    }

    /// Refreshes apt's package lists once, before the first in-root phase.
    ///
    /// A cached base root is as old as its cache, so the root is then brought up to the mirror's current state
    /// (`dist-upgrade`, configuration files kept): an image never ships packages older than the mirror's, and
    /// a base made again only by `--refresh` or `cache prune` costs a few seconds per build instead of a
    /// bootstrap (BENCHMARKS.md, "Base root: upgrade or bootstrap again").
    /// - Parameter upgrade: whether to upgrade too (not for a cached installed tree, current to the mirror's state).
    /// - Returns: how many packages the upgrade changed.
    @discardableResult
    func updatePackageLists(upgrade: Bool = true) async throws -> Int {
        try await inRoot("apt-get -q update", label: "apt-get update")
        guard upgrade else { return 0 }
        let output = try await inRoot(
            "apt-get -q -y -o Dpkg::Options::=--force-confold -o Dpkg::Options::=--force-confdef dist-upgrade",
            label: "apt-get dist-upgrade (the base root brought up to the mirror)")
        return Self.changedPackages(in: output.standardOutput)
    }

    /// The packages apt's summary line ("2 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.")
    /// says it changed; 0 when there is none.
    static func changedPackages(in output: String) -> Int {
        guard let line = output.split(separator: "\n").last(where: { $0.contains(" upgraded, ") }) else { return 0 }
        let numbers = line.split(separator: ",").compactMap { Int($0.split(separator: " ").first ?? "") }
        return numbers.prefix(3).reduce(0, +)
    }

    private func runHooks(_ phase: Phase, detail: ProgressHandler) async throws {
        for hook in plan.hooks(for: phase) {
            detail(.detail("\(phase.rawValue)/\(hook.name) (\(hook.element))"))
            let relative = "\(phase.rawValue)/\(hook.name)"
            do {
                if phase.runsInTarget {
                    try await inRoot("\(sourceEnvironment(Self.inTargetHooks))\nexec \(Self.inTargetHooks)/\(relative)",
                                     label: relative)
                } else {
                    try await onHost(hooksDirectory.appendingPathComponent(relative).path, label: relative)
                }
            } catch ProcessError.commandFailed(_, let status, let tail) {
                throw BuildError.hookFailed(
                    element: hook.element, phase: phase.rawValue, hook: hook.name, status: status,
                    outputTail: tail, log: log.url.path)
            }
        }
    }

    /// Runs bash `script` inside the root with the hook environment.
    @discardableResult
    func inRoot(_ script: String, label: String) async throws -> CommandOutput {
        let session = HostRoot(path: root, mounts: [
            .init(source: hooksDirectory, target: Self.inTargetHooks),
            .init(source: aptArchives, target: "/var/cache/apt/archives"),
            .init(source: aptLists, target: "/var/lib/apt/lists"),
        ])
        var environment = self.environment
        environment["PATH"] = "\(Self.inTargetHooks)/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        return try await session.run(script, environment: environment, label: label, log: log.append)
    }

    private func onHost(_ hook: String, label: String) async throws {
        var environment = ProcessInfo.processInfo.environment.merging(self.environment) { $1 }
        environment["TARGET_ROOT"] = root.path
        environment["TMP_MOUNT_PATH"] = root.path
        environment["TMP_HOOKS_PATH"] = hooksDirectory.path
        let script = "set -eu -o pipefail\n\(sourceEnvironment(hooksDirectory.path))\nexec \(shellQuote(hook))"
        try await CommandRunner.run(["bash", "-c", script], environment: environment, label: label, log: log.append)
    }

    private func sourceEnvironment(_ hooks: String) -> String {
        "set +u -a; for f in \(hooks)/environment.d/*; do [ -f \"$f\" ] && . \"$f\"; done; set -u +a"
    }
}
