public import Foundation

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
        rawSHA256 = try Self.run("/usr/bin/sha256sum", [raw.path]).split(separator: " ").first.map(String.init) ?? ""
        _ = try Self.run("/usr/bin/qemu-img", ["convert", "-f", "raw", "-O", "qcow2", raw.path, qcow2.path])
    }

    /// Writes `NAME.json` beside the images: the manifest fields `dibkit upload` reads.
    public func writeManifest(database: String = "redis", ports: [Int] = [6379]) throws {
        let manifest: [String: Any] = [
            "name": qcow2.deletingPathExtension().lastPathComponent, "database": database, "loginUser": "dibkit", "authorizedKeys": 0,
            "ports": ports, "elements": ["redis"], "release": "bookworm", "arch": "amd64", "mirror": "http://deb.example",
            "format": "qcow2", "compression": "none", "packages": [], "sha256": String(repeating: "ab", count: 32),
            "sizes": ["image": 1, "virtual": 1, "rootfs": 1], "phases": [], "accelerator": "tcg", "baseRootFromCache": false,
            "created": "2026-11-24T12:00:00Z", "dibkitVersion": "0.1.0",
        ]
        let data = try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys])
        try data.write(to: qcow2.deletingPathExtension().appendingPathExtension("json"))
    }

    /// Writes `overlay.qcow2` beside the images: a qcow2 of `size` bytes over the raw backing file
    /// `backing`, as its header will name it (it need not exist).
    /// - Returns: the overlay.
    public func overlay(backedBy backing: String, size: Int = 1 << 20) throws -> URL {
        let overlay = folder.appendingPathComponent("overlay.qcow2")
        try Self.run("/usr/bin/qemu-img", ["create", "-q", "-f", "qcow2", "-u", "-b", backing, "-F", "raw", overlay.path, String(size)])
        return overlay
    }

    public func remove() { try? FileManager.default.removeItem(at: folder) }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestServerError("\(tool) \(arguments.joined(separator: " ")) failed") }
        return String(decoding: data, as: UTF8.self)
    }
}
