import DurableFiles
import Foundation
import HostProcesses

/// Removes from a finished root what must not be baked into an image: identity (machine-id, ssh host
/// keys), package lists, logs, cloud-init state, the build's own helpers (and the mirrors' logins) and temp files.
/// The host's resolver goes with `BuildResolver.restore`.
enum Sysprep {
    /// dpkg's configuration while building: `force-unsafe-io` (no fsync per unpacked file; a crashed build is
    /// thrown away whole anyway). An instance's dpkg keeps its safe default.
    static let buildDpkgConfig = "etc/dpkg/dpkg.cfg.d/00dibkit-build"

    /// Paths removed, relative to the root; globs are expanded.
    static let removed = [
        "usr/sbin/policy-rc.d", buildDpkgConfig, "tmp/in_target.d", MirrorLogin.authFile, ExpiredRelease.aptFile, "etc/ssh/ssh_host_*",
        "var/lib/dbus/machine-id", "var/lib/systemd/random-seed", "var/lib/cloud/*", "var/lib/apt/lists/*",
        "var/cache/apt/*.bin", "var/cache/ldconfig/aux-cache", "var/cache/debconf/*-old", "var/lib/dpkg/*-old", "var/log/journal/*",
        "var/log/apt/*", "var/log/*.log", "var/log/installer", "root/.bash_history", "tmp/*", "var/tmp/*",
    ]

    /// Cleans `root` in place.
    static func clean(root: URL) throws {
        let files = FileManager.default
        for pattern in removed {
            for path in expand(pattern, in: root) { try? files.removeItem(atPath: path) }
        }
        // An empty machine-id makes systemd generate one on the instance's first boot.
        try FileWriter.write(Data(), to: root.appendingPathComponent("etc/machine-id"))
    }

    /// Sets every time in `root` later than `epoch` to `epoch` (links themselves, not what they point at), as
    /// reproducible builds clamp them: files the build wrote carry its time otherwise.
    static func clampTimes(root: URL, to epoch: UInt64) async throws {
        try await CommandRunner.run(
            ["find", root.path, "-xdev", "-newermt", "@\(epoch)", "-exec", "touch", "--no-dereference", "--date=@\(epoch)", "{}", "+"],
            label: "find -newermt (clamping times to SOURCE_DATE_EPOCH)")
    }

    private static func expand(_ pattern: String, in root: URL) -> [String] {
        let full = root.path + "/" + pattern
        guard pattern.contains("*") else { return [full] }
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(full, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }
    }
}
