public import Foundation
import HostProcesses
import PrivateYAML

/// A NoCloud seed: an ISO 9660 volume labelled `cidata` holding `user-data` and `meta-data`.
enum NoCloudSeed {
    /// Writes `meta-data` with `instanceID` and `hostname`, a copy of `userData` and, when given, `network-config`
    /// into `directory`, then packs them into `iso` with `cloud-localds` (cloud-image-utils). user-data holds
    /// passwords: its copy and the ISO are this user's alone (0600, created with `O_EXCL`, never through a link),
    /// in a folder that should be 0700 too.
    /// - Throws: `BootCheckError.toolFailed` when a file exists already or cannot be written.
    static func make(
        iso: URL, userData: Data, instanceID: String, hostname: String = "dibkit-test", networkConfig: String? = nil,
        in directory: URL
    ) async throws {
        let userDataFile = directory.appendingPathComponent("user-data")
        let metaDataFile = directory.appendingPathComponent("meta-data")
        let networkFile = directory.appendingPathComponent("network-config")
        var files = [(userDataFile, userData), (metaDataFile, Data("instance-id: \(instanceID)\nlocal-hostname: \(hostname)\n".utf8)),
                     (iso, Data())]
        if let networkConfig { files.append((networkFile, Data(networkConfig.utf8))) }
        for (file, contents) in files {
            guard try createPrivateFile(at: file, contents: contents) else {
                throw BootCheckError.toolFailed(tool: "open \(file.path)", message: "it exists already; not written through")
            }
        }
        let network = networkConfig == nil ? [] : ["--network-config=\(networkFile.path)"]
        try await ChildProcess.run(
            "cloud-localds", network + [iso.path, userDataFile.path, metaDataFile.path],
            log: directory.appendingPathComponent("cloud-localds.log"))
    }

    /// A fresh instance id, so the guest treats each test run as a new instance.
    static func newInstanceID() -> String {
        "i-dibkit-" + String(UInt64.random(in: .min ... .max), radix: 16)
    }
}

extension DatabaseSettings {
    /// The `#cloud-config` user-data that sets these settings through the image's first-boot step.
    public var userData: String {
        var lines = ["#cloud-config", "dibkit:", "  \(kind.rawValue):", "    port: \(port)",
                     "    password: \(Self.yamlDoubleQuoted(password))"]
        if let user { lines.append("    user: \(user)") }
        if let database { lines.append("    database: \(database)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `text` as a YAML double-quoted scalar that YAML 1.1 and 1.2 parsers (the image's PyYAML, Yams) read back
    /// exactly: `\` and `"` escaped, characters outside printable text written `\uXXXX`.
    public static func yamlDoubleQuoted(_ text: String) -> String {
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\", "\"": quoted += "\\\(scalar)"
            case " "..."~": quoted.unicodeScalars.append(scalar)
            case _ where scalar.value < 0xA0 || scalar.value == 0xFEFF
                || [.lineSeparator, .paragraphSeparator].contains(scalar.properties.generalCategory):
                quoted += String(format: "\\u%04X", scalar.value)
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }

    /// Reads the port, password, user and database for `kind` from a `#cloud-config` file's `dibkit.<kind>`
    /// map. A missing port, user or database means the image's default (PostgreSQL's database defaults to the
    /// user's name); a missing password is an error (nothing to check against). A YAML error names the line,
    /// never shows it: it may hold the password.
    public static func read(userData file: URL, kind: DatabaseKind) throws -> DatabaseSettings {
        let text: String
        do {
            text = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw BootCheckError.badUserData(path: file.path, message: "cannot read it: \(error)")
        }
        let document: Any?
        do {
            document = try PrivateYAML.load(text)
        } catch {
            throw BootCheckError.badUserData(path: file.path, message: "not valid YAML: \(error)")
        }
        let key = "dibkit.\(kind.rawValue)"
        guard let dibkit = (document as? [String: Any])?["dibkit"] as? [String: Any],
            let settings = dibkit[kind.rawValue] as? [String: Any]
        else {
            throw BootCheckError.badUserData(path: file.path, message: "no `\(key)` map; add one with a password")
        }
        guard let password = settings["password"].map({ "\($0)" }), !password.isEmpty else {
            throw BootCheckError.badUserData(path: file.path, message: "`\(key).password` is missing")
        }
        let port: Int
        switch settings["port"] {
        case nil: port = kind.imagePort
        case let value as Int where (1...65535).contains(value): port = value
        case let value?:
            throw BootCheckError.badUserData(path: file.path, message: "`\(key).port` is \(value), not a port")
        }
        let user = kind.defaultUser.map { settings["user"].map { "\($0)" } ?? $0 }
        let database = user.map { settings["database"].map { "\($0)" } ?? kind.defaultDatabase(user: $0) }
        return DatabaseSettings(kind: kind, port: port, password: password, user: user, database: database)
    }
}
