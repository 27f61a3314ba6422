public import Foundation
import PrivateYAML

/// Several instances of one image on a private network, each with its own user-data: what `dibkit test
/// --topology FILE` boots. The file:
///
///     network: 10.77.0.0/24            # the private link's network (default); one /24
///     instances:
///       - name: primary                # names the instance in checks and console files
///         address: 10.77.0.11          # its address on the link (set through NoCloud network-config)
///         user_data: primary.yaml      # its #cloud-config, relative to this file
///       - name: replica
///         address: 10.77.0.12
///         user_data: replica.yaml
///
/// Each instance's role is read from its user-data: `replica_of` (Redis, Valkey, MariaDB, MySQL), `standby_of`
/// (PostgreSQL), `sentinel` (Redis, Valkey), `tls` and `allowed_networks`.
public struct Topology: Sendable {
    /// One instance: its name, link address and user-data, and what the checks need from that user-data.
    public struct Instance: Sendable {
        public var name: String
        public var address: String
        public var userData: Data
        /// Port, password, user and database of the instance's database.
        public var settings: DatabaseSettings
        /// The address and port of the instance this one replicates from, if any.
        public var primary: Endpoint?
        /// The instance's Sentinel: its port and the monitored master's name.
        public var sentinel: (port: Int, name: String)?
        /// TLS: nil without; else the CA clients verify against (nil for a self-signed certificate).
        public var tls: TLSTrust?
        /// The networks `allowed_networks` lets in; nil: everyone.
        public var allowedNetworks: [String]?
    }

    /// A host and port.
    public struct Endpoint: Sendable, Equatable {
        public var host: String
        public var port: Int
    }

    /// How a client trusts an instance's TLS certificate: the CA PEM from its user-data, or none (self-signed).
    public struct TLSTrust: Sendable {
        public var caPEM: String?
    }

    /// The link's network prefix, e.g. `10.77.0` of `10.77.0.0/24`.
    public var networkPrefix: String
    public var instances: [Instance]

    /// Reads `file` for images of database `kind`.
    /// - Throws: `BootCheckError.badUserData` naming the file and what is wrong.
    public static func read(_ file: URL, kind: DatabaseKind) throws -> Topology {
        let fail = { (message: String) in BootCheckError.badUserData(path: file.path, message: message) }
        let document: Any?
        do {
            document = try PrivateYAML.load(try String(contentsOf: file, encoding: .utf8))
        } catch {
            throw fail("not a readable YAML topology: \(error)")
        }
        guard let map = document as? [String: Any], let list = map["instances"] as? [[String: Any]], list.count >= 2
        else { throw fail("expected `instances:`, a list of at least two {name, address, user_data}") }
        let network = (map["network"] as? String) ?? "10.77.0.0/24"
        let parts = network.split(separator: "/")
        let octets = parts.first?.split(separator: ".") ?? []
        guard parts.count == 2, parts[1] == "24", octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }), octets[3] == "0"
        else { throw fail("network \(network) must be an IPv4 /24 such as 10.77.0.0/24") }
        let prefix = octets.prefix(3).joined(separator: ".")
        var instances: [Instance] = []
        for (index, entry) in list.enumerated() {
            guard let name = entry["name"] as? String, name.range(of: "^[a-z][a-z0-9-]{0,30}$", options: .regularExpression) != nil
            else { throw fail("instance \(index + 1): `name` must be lower-case letters, digits and '-'") }
            guard let address = entry["address"] as? String, address.hasPrefix(prefix + "."),
                let last = UInt8(address.dropFirst(prefix.count + 1)), (2...254).contains(last)
            else { throw fail("instance \(name): `address` must be an address of \(network) (.2 to .254)") }
            guard let path = entry["user_data"] as? String else { throw fail("instance \(name): `user_data` is missing") }
            let userDataFile = URL(fileURLWithPath: path, relativeTo: file.deletingLastPathComponent())
            guard let userData = try? Data(contentsOf: userDataFile) else {
                throw fail("instance \(name): cannot read user_data \(userDataFile.path)")
            }
            instances.append(try instance(name: name, address: address, userData: userData, file: userDataFile, kind: kind))
        }
        guard Set(instances.map(\.name)).count == instances.count, Set(instances.map(\.address)).count == instances.count
        else { throw fail("instance names and addresses must be unique") }
        // A PostgreSQL standby has its primary's roles: clients log in to it as to the primary.
        for index in instances.indices where instances[index].settings.password.isEmpty {
            guard let primary = instances.first(where: { $0.address == instances[index].primary?.host }),
                !primary.settings.password.isEmpty
            else { throw fail("instance \(instances[index].name): a standby's primary must be an instance with a password") }
            instances[index].settings.password = primary.settings.password
            instances[index].settings.user = primary.settings.user
            instances[index].settings.database = primary.settings.database
        }
        return Topology(networkPrefix: prefix, instances: instances)
    }

    /// One instance from its user-data (`file` names it in errors).
    static func instance(name: String, address: String, userData: Data, file: URL, kind: DatabaseKind) throws -> Instance {
        let section = ((try? PrivateYAML.load(String(decoding: userData, as: UTF8.self))) as? [String: Any])
            .flatMap { $0["dibkit"] as? [String: Any] }.flatMap { $0[kind.rawValue] as? [String: Any] } ?? [:]
        // A standby takes no password (its roles are its primary's): `read` fills it in from the primary.
        let standby = kind == .postgresql && section["standby_of"] != nil && section["password"] == nil
        let settings = standby
            ? DatabaseSettings(kind: kind, port: (section["port"] as? Int) ?? kind.imagePort, password: "")
            : try DatabaseSettings.read(userData: file, kind: kind)
        var instance = Instance(name: name, address: address, userData: userData, settings: settings)
        instance.primary = try primary(of: section, kind: kind, file: file)
        if kind.speaksRESP, let sentinel = section["sentinel"] as? [String: Any] {
            instance.sentinel = ((sentinel["port"] as? Int) ?? 26379, (sentinel["name"] as? String) ?? "mymaster")
        }
        switch section["tls"] {
        case let given as [String: Any]: instance.tls = TLSTrust(caPEM: given["ca"] as? String)
        case let on as Bool where on: instance.tls = TLSTrust(caPEM: nil)
        default: break
        }
        if let networks = section["allowed_networks"] {
            // As the hooks read it: a list, or text separated by commas or spaces.
            instance.allowedNetworks = (networks as? [Any])?.map { "\($0)" }
                ?? "\(networks)".split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
        }
        return instance
    }

    /// Where the instance replicates from: Redis's `replica_of: "HOST:PORT"`, PostgreSQL's `standby_of: {host,
    /// port}`, MariaDB's and MySQL's `replica_of: {host, port}`.
    private static func primary(of section: [String: Any], kind: DatabaseKind, file: URL) throws -> Endpoint? {
        let key = kind == .postgresql ? "standby_of" : "replica_of"
        switch section[key] {
        case nil: return nil
        case let text as String where kind.speaksRESP:
            let host = text.split(separator: ":").dropLast().joined(separator: ":")
            guard let port = Int(text.split(separator: ":").last ?? "") else {
                throw BootCheckError.badUserData(path: file.path, message: "`\(key)` \(text) is not HOST:PORT")
            }
            return Endpoint(host: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: port)
        case let map as [String: Any]:
            guard let host = map["host"] as? String else {
                throw BootCheckError.badUserData(path: file.path, message: "`\(key).host` is missing")
            }
            return Endpoint(host: host, port: (map["port"] as? Int) ?? kind.imagePort)
        default:
            throw BootCheckError.badUserData(path: file.path, message: "`\(key)` has the wrong shape for \(kind.rawValue)")
        }
    }

    /// Whether a client on the host (seen by the guest as 10.0.2.2 through qemu's user network) is let in.
    func hostAllowed(_ instance: Instance) -> Bool {
        guard let networks = instance.allowedNetworks else { return true }
        return networks.contains { Self.ipv4(network: $0, contains: "10.0.2.2") }
    }

    /// Whether IPv4 `address` is inside `network` (CIDR); false for IPv6 or malformed text.
    static func ipv4(network: String, contains address: String) -> Bool {
        let parts = network.split(separator: "/")
        func value(_ text: Substring) -> UInt32? {
            let octets = text.split(separator: ".").compactMap { UInt32($0) }
            guard octets.count == 4, octets.allSatisfy({ $0 < 256 }) else { return nil }
            return octets.reduce(0) { $0 << 8 | $1 }
        }
        guard parts.count == 2, let base = value(parts[0]), let bits = UInt32(parts[1]), bits <= 32,
            let host = value(Substring(address))
        else { return false }
        let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - bits)
        return base & mask == host & mask
    }
}
