import Chroot
import Crypto
import Foundation
import HostProcesses

/// Runs `body` with a fresh folder under `parent`, removed afterwards whatever happens — unless a mount
/// is still present under it, in which case removing it could reach into the host, so it is kept.
enum WorkDirectory {
    static func with<T>(in parent: URL, _ body: (URL) async throws -> T) async throws -> T {
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let folder = parent.appendingPathComponent("dibkit-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        do {
            let result = try await body(folder)
            try remove(folder)
            return result
        } catch {
            try? remove(folder)
            throw error
        }
    }

    static func remove(_ folder: URL) throws {
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        let prefix = folder.path + "/"
        if let line = mounts.split(separator: "\n").first(where: { $0.split(separator: " ").dropFirst(4).first?.hasPrefix(prefix) == true }) {
            throw BuildError.leakedMount(String(line.split(separator: " ")[4]))
        }
        try FileManager.default.removeItem(at: folder)
    }
}

/// Makes sure the output's folder exists and is writable before any long work starts.
func prepareOutputFolder(_ output: URL) throws {
    let folder = output.deletingLastPathComponent()
    do {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
        throw BuildError.badOutput(path: output.path, reason: "cannot create its folder: \(error.localizedDescription)")
    }
    guard FileManager.default.isWritableFile(atPath: folder.path) else {
        throw BuildError.badOutput(path: output.path, reason: "its folder is not writable")
    }
}

/// Hex SHA-256 of a file, read in 1 MiB pieces.
func sha256(of url: URL) throws -> String {
    let handle = try FileHandle(forReadingFrom: url)
    defer { try? handle.close() }
    var hasher = SHA256()
    while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
    return hex(hasher.finalize())
}

/// Hex SHA-256 of bytes in memory.
func sha256(of data: Data) -> String { hex(SHA256.hash(data: data)) }

/// A short stable key of `lines`: the first 16 hex digits of the SHA-256 of their text, one per line.
func shortDigest(of lines: [String]) -> String {
    String(sha256(of: Data(lines.joined(separator: "\n").utf8)).prefix(16))
}

/// Lower-case hex of bytes.
func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

/// Bytes of a file.
func fileSize(_ url: URL) throws -> UInt64 {
    (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.uint64Value ?? 0
}

/// Apparent bytes of the files under a tree (`du -sb`).
func treeSize(_ url: URL) async throws -> UInt64 {
    let output = try await CommandRunner.run(["du", "-sb", "--", url.path], label: "du")
    return UInt64(output.standardOutput.split(separator: "\t").first ?? "") ?? 0
}
