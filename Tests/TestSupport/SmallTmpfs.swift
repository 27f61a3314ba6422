public import Foundation

/// A tmpfs of a few MiB mounted on a fresh folder, for what a full disk does; unmounted and removed by
/// `remove()` (and when released). Mounting needs root, which these machines give the tests.
public final class SmallTmpfs: @unchecked Sendable {
    public let url: URL
    private var mounted = false

    /// Whether this process may mount (root).
    public static var canMount: Bool { getuid() == 0 }

    /// Mounts a tmpfs of `size` (mount's notation: `4m`) on `/var/tmp/dibkit-tmpfs-XXXXXXXX`.
    public init(size: String = "4m") throws {
        url = URL(fileURLWithPath: "/var/tmp/dibkit-tmpfs-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let result = try runCommand(["mount", "-t", "tmpfs", "-o", "size=\(size),mode=0755", "tmpfs", url.path])
        guard result.status == 0 else {
            try? FileManager.default.removeItem(at: url)
            throw CommandError(description: "mount -t tmpfs on \(url.path) failed: \(result.output)")
        }
        mounted = true
    }

    deinit { remove() }

    /// A path inside the tmpfs.
    public func appendingPathComponent(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Fills the tmpfs with a hidden file until no byte more fits.
    public func fill() throws {
        _ = try runCommand(["sh", "-c", "dd if=/dev/zero of=\(url.path)/.filler bs=64k 2>/dev/null; true"])
    }

    /// Every path in the tmpfs but the filler, relative to it, sorted.
    public var contents: [String] {
        let paths = FileManager.default.enumerator(atPath: url.path)?.compactMap { $0 as? String } ?? []
        return paths.filter { $0 != ".filler" }.sorted()
    }

    /// Unmounts the tmpfs and removes its folder.
    public func remove() {
        guard mounted else { return }
        if (try? runCommand(["umount", url.path]))?.status == 0 {
            mounted = false
            try? FileManager.default.removeItem(at: url)
        }
    }
}
