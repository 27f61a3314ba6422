import DurableFiles
public import Foundation

/// The ssh public keys given with `-k`, checked line by line before any work: OpenSSH's
/// `authorized_keys` format (options are allowed), never a private key.
public struct AuthorizedKeys: Sendable, Equatable {
    /// The key lines, blank lines and comments dropped.
    public let lines: [String]

    static let stagingFolder = "ssh-keys"
    private static let keyTypes: Set<String> = [
        "ssh-ed25519", "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
    ]

    /// Reads and checks `file`.
    /// - Throws: `ElementError.badPublicKey` naming the file, the line and what is wrong.
    public init(file: URL) throws {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else {
            throw ElementError.badPublicKey(path: file.path, line: nil, reason: "cannot be read as text (does it exist?)")
        }
        try self.init(text: text, source: file.path)
    }

    /// Checks `text`, which came from `source` (a file's path, or e.g. `keypair 'ops' of the cloud`).
    /// - Throws: `ElementError.badPublicKey` naming the source, the line and what is wrong.
    public init(text: String, source: String) throws {
        if text.contains("PRIVATE KEY-----") {
            throw ElementError.badPublicKey(
                path: source, line: nil, reason: "is a private key; pass the public one (the .pub file)")
        }
        var lines: [String] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard Self.isPublicKey(line) else {
                throw ElementError.badPublicKey(
                    path: source, line: index + 1,
                    reason: "is not an ssh public key (expected e.g. 'ssh-ed25519 AAAA… comment')")
            }
            lines.append(line)
        }
        guard !lines.isEmpty else { throw ElementError.badPublicKey(path: source, line: nil, reason: "holds no key") }
        self.lines = lines
    }

    /// A key type followed by base64 that decodes to a blob naming the same type; options may come first.
    private static func isPublicKey(_ line: String) -> Bool {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let typeIndex = fields.firstIndex(where: keyTypes.contains), typeIndex + 1 < fields.count,
              let blob = Data(base64Encoded: fields[typeIndex + 1]), blob.count > 4
        else { return false }
        let length = blob.prefix(4).reduce(0) { $0 << 8 | Int($1) }
        guard length > 0, blob.count >= 4 + length else { return false }
        return String(decoding: blob.dropFirst(4).prefix(length), as: UTF8.self) == fields[typeIndex]
    }

    /// Writes the keys to `hooksFolder/ssh-keys/authorized_keys` for the `ssh-keys` element.
    /// - Throws: `FileWriteError` naming the file (a full disk among the causes).
    public func stage(into hooksFolder: URL) throws {
        let folder = hooksFolder.appendingPathComponent(Self.stagingFolder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileWriter.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: folder.appendingPathComponent("authorized_keys"))
    }
}
