public import Foundation
import Reporting

/// Small disk images made at test time: a raw file with some random data among zeros, and the same as a
/// qcow2 made by `qemu-img convert`.
public struct TestImage {
    /// The folder holding the images; removed by `remove()`.
    public let folder: URL
    public let raw: URL
    public let qcow2: URL
    /// Hex SHA-256 of the raw disk (what a gzip'd raw staged object must inflate to).
    public let rawSHA256: String

    /// - Parameters:
    ///   - size: the disk's size; `randomBytes` of random data at 1 MiB, zeros elsewhere.
    ///   - name: the files' base name.
    public init(size: Int = 32 << 20, randomBytes: Int = 12 << 20, name: String = "redis-test") throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("dibkit-image-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        raw = folder.appendingPathComponent("\(name).raw")
        qcow2 = folder.appendingPathComponent("\(name).qcow2")
        let random = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom")).read(upToCount: min(randomBytes, size - (1 << 20))) ?? Data()
        var disk = Data(count: size)
        disk.replaceSubrange((1 << 20)..<((1 << 20) + random.count), with: random)
        try disk.write(to: raw)
        rawSHA256 = try Self.checked(["sha256sum", raw.path]).split(separator: " ").first.map(String.init) ?? ""
        try Self.checked(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw.path, qcow2.path])
    }

    /// Writes `NAME.json` beside the images: the manifest `dibkit upload` reads.
    public func writeManifest(database: String = "redis", ports: [Int] = [6379]) throws {
        try Manifest.sample(name: qcow2.deletingPathExtension().lastPathComponent, database: database, ports: ports, elements: ["redis"], virtualSize: 1)
            .write(beside: qcow2)
    }

    /// Writes `overlay.qcow2` beside the images: a qcow2 of `size` bytes over the raw backing file
    /// `backing`, as its header will name it (it need not exist).
    /// - Returns: the overlay.
    public func overlay(backedBy backing: String, size: Int = 1 << 20) throws -> URL {
        let overlay = folder.appendingPathComponent("overlay.qcow2")
        try Self.checked(["qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b", backing, "-F", "raw", overlay.path, String(size)])
        return overlay
    }

    public func remove() { try? FileManager.default.removeItem(at: folder) }

    /// The standard output of `arguments`, which must succeed.
    @discardableResult
    private static func checked(_ arguments: [String]) throws -> String {
        let result = try runCommand(arguments, mergingErrors: false)
        guard result.status == 0 else { throw TestServerError("\(arguments.joined(separator: " ")) failed") }
        return result.output
    }
}
