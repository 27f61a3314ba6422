public import Foundation
import PrivateYAML

/// How to reach one cloud: its Keystone, the credentials, and where its endpoints are.
/// Read from clouds.yaml (openstacksdk's search order) or from `OS_*` variables (the cloud `envvars`).
public struct CloudCredentials: Sendable, Equatable {
    /// The cloud's name (`envvars` for `OS_*` variables).
    public var name: String
    /// The `auth:` settings, e.g. `auth_url`, `username`, `password`, `project_name`, `user_domain_name`.
    public var auth: [String: String]
    /// `password` (the default), `token` or `v3applicationcredential`.
    public var authType: String
    /// The region whose endpoints to use; nil takes any.
    public var region: String?
    /// The endpoint interface: `public` (the default), `internal` or `admin`.
    public var interface: String
    /// The other scalar settings of the cloud's clouds.yaml entry, as text (e.g. `trove_transport_url`,
    /// which `dibkit upload` reads for the Trove guest agent).
    public var otherSettings: [String: String] = [:]

    /// Makes credentials from their parts.
    public init(name: String, auth: [String: String], authType: String = "password", region: String? = nil, interface: String = "public") {
        self.name = name
        self.auth = auth
        self.authType = authType
        self.region = region
        self.interface = interface
    }

    /// The settings never to show: password, token, application credential secret, the Trove agent's queue URL.
    public var secrets: [String] {
        ["password", "token", "application_credential_secret"].compactMap { auth[$0] }
            + [otherSettings["trove_transport_url"]].compactMap { $0 }  // holds the message queue's password
    }

    /// Where clouds.yaml is looked for, first found wins: `OS_CLIENT_CONFIG_FILE`, the working folder,
    /// `~/.config/openstack`, `/etc/xdg/openstack`, `/etc/openstack`; each as `.yaml`, `.yml`, `.json`.
    static func searchFolders(environment: [String: String], workingDirectory: URL) -> [URL] {
        let home = environment["HOME"] ?? NSHomeDirectory()
        return [workingDirectory, URL(fileURLWithPath: home + "/.config/openstack"),
                URL(fileURLWithPath: "/etc/xdg/openstack"), URL(fileURLWithPath: "/etc/openstack")]
    }

    /// Picks the cloud: `cloud` (`--os-cloud`), else `OS_CLOUD`, else the `OS_*` variables when `OS_AUTH_URL`
    /// is set, else the only cloud of clouds.yaml. `secure.yaml` beside it is merged in.
    /// - Throws: `OpenStackError` saying which file or setting is missing.
    public static func load(
        cloud: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    ) throws -> CloudCredentials {
        let wanted = cloud ?? environment["OS_CLOUD"].flatMap { $0.isEmpty ? nil : $0 }
        if wanted == nil || wanted == "envvars", environment["OS_AUTH_URL"] != nil {
            return fromEnvironment(environment)
        }
        let folders = searchFolders(environment: environment, workingDirectory: workingDirectory)
        let explicit = environment["OS_CLIENT_CONFIG_FILE"].map { [URL(fileURLWithPath: $0)] } ?? []
        let candidates = explicit + folders.flatMap { folder in
            ["yaml", "yml", "json"].map { folder.appendingPathComponent("clouds.\($0)") }
        }
        guard let file = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            throw OpenStackError.noCredentials(searched: candidates.map(\.path))
        }
        var clouds = try readClouds(file)
        let secureFiles = folders.flatMap { folder in ["yaml", "yml", "json"].map { folder.appendingPathComponent("secure.\($0)") } }
        if let secure = secureFiles.first(where: { FileManager.default.fileExists(atPath: $0.path) }) {
            for (name, settings) in try readClouds(secure) { clouds[name] = merge(clouds[name] ?? [:], settings) }
        }
        let name: String
        if let wanted {
            guard clouds[wanted] != nil else {
                throw OpenStackError.unknownCloud(wanted, known: clouds.keys.sorted(), file: file.path)
            }
            name = wanted
        } else {
            guard clouds.count == 1, let only = clouds.keys.first else {
                throw OpenStackError.whichCloud(known: clouds.keys.sorted(), file: file.path)
            }
            name = only
        }
        let settings = clouds[name] ?? [:]
        var credentials = CloudCredentials(
            name: name, auth: strings(settings["auth"] as? [String: Any] ?? [:]),
            authType: string(settings["auth_type"]) ?? "password", region: string(settings["region_name"]),
            interface: string(settings["interface"]) ?? "public")
        credentials.otherSettings = strings(settings.filter { key, value in
            !["auth", "auth_type", "region_name", "interface"].contains(key) && !(value is [String: Any]) && !(value is [Any])
        })
        return credentials
    }

    /// The cloud `envvars`: every `OS_*` variable, lower-cased without its prefix, as an auth setting.
    static func fromEnvironment(_ environment: [String: String]) -> CloudCredentials {
        var auth: [String: String] = [:]
        for (key, value) in environment where key.hasPrefix("OS_") && !value.isEmpty {
            auth[String(key.dropFirst(3)).lowercased()] = value
        }
        if auth["project_name"] == nil { auth["project_name"] = auth["tenant_name"] }
        return CloudCredentials(
            name: "envvars", auth: auth, authType: auth["auth_type"] ?? "password", region: auth["region_name"],
            interface: auth["interface"] ?? "public")
    }

    /// The `clouds:` mapping of `file`. A YAML error names the line, never shows it: it may hold a password.
    private static func readClouds(_ file: URL) throws -> [String: [String: Any]] {
        let document: Any?
        do {
            document = try PrivateYAML.load(try String(contentsOf: file, encoding: .utf8))
        } catch let error as PrivateYAML.SyntaxError {
            throw OpenStackError.badCloudsFile(path: file.path, reason: "not valid YAML: \(error)")
        } catch {
            throw OpenStackError.badCloudsFile(path: file.path, reason: "cannot be read as UTF-8 text: \(error.localizedDescription)")
        }
        guard let clouds = (document as? [String: Any])?["clouds"] as? [String: Any] else {
            throw OpenStackError.badCloudsFile(path: file.path, reason: "has no `clouds:` mapping")
        }
        return clouds.compactMapValues { $0 as? [String: Any] }
    }

    private static func merge(_ base: [String: Any], _ extra: [String: Any]) -> [String: Any] {
        base.merging(extra) { old, new in
            if let old = old as? [String: Any], let new = new as? [String: Any] { return merge(old, new) }
            return new
        }
    }

    private static func string(_ value: Any?) -> String? { value.map { "\($0)" } }

    private static func strings(_ mapping: [String: Any]) -> [String: String] { mapping.mapValues { "\($0)" } }
}
