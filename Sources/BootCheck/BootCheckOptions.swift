public import Foundation
import Reporting

/// The databases `BootCheck` knows how to probe from the host; the raw value is the element's name and its
/// user-data section (`dibkit: {postgresql: {...}}`). Valkey is Redis's fork: the same settings and protocol.
public enum DatabaseKind: String, Sendable, Codable, CaseIterable {
    case redis, valkey, postgresql, mariadb, mysql

    /// Redis and Valkey: RESP, a password and no users or databases.
    public var speaksRESP: Bool {
        self == .redis || self == .valkey
    }

    /// The port the image's first-boot step uses when user-data names none (the element's default).
    public var imagePort: Int {
        switch self {
        case .redis, .valkey: 6379
        case .postgresql: 5432
        case .mariadb, .mysql: 3306
        }
    }

    /// The port generated user-data asks for: not the usual one, so a passing check shows that the first-boot
    /// step applied it.
    public var testPort: Int { imagePort + 1 }

    /// The login the image's first-boot step makes when user-data names none; nil for Redis and Valkey (no users).
    public var defaultUser: String? {
        speaksRESP ? nil : "dibkit"
    }

    /// The database the image's first-boot step makes when user-data names none: PostgreSQL's is named
    /// after the user, MariaDB's and MySQL's is `dibkit`.
    public func defaultDatabase(user: String) -> String {
        self == .postgresql ? user : "dibkit"
    }

    /// The protocol probe that speaks to this database (Valkey's is Redis's, MySQL's is MariaDB's: the same
    /// protocol, checks named after the database).
    public var probe: any DatabaseProbe {
        switch self {
        case .redis, .valkey: RedisProbe(product: rawValue)
        case .postgresql: PostgreSQLProbe()
        case .mariadb, .mysql: MariaDBProbe(product: rawValue)
        }
    }

    /// The database named by an image's build manifest, `<image without extension>.json` (key `database`).
    /// - Returns: nil when there is no manifest.
    /// - Throws: `BootCheckError.unknownDatabase` when the manifest is unreadable or names no known database.
    public static func fromManifest(of image: URL) throws -> DatabaseKind? {
        let manifest = Manifest.url(beside: image)
        guard FileManager.default.fileExists(atPath: manifest.path) else { return nil }
        guard let name = (try? Manifest.beside(image))?.database else {
            throw BootCheckError.unknownDatabase(
                "manifest \(manifest.path) is not a dibkit manifest naming a database; pass --database NAME")
        }
        guard let kind = DatabaseKind(rawValue: name) else {
            throw BootCheckError.unknownDatabase(
                "manifest \(manifest.path) names database \"\(name)\", which dibkit cannot check yet "
                    + "(known: \(allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return kind
    }
}

/// How the guest's database is reached and authenticated.
public struct DatabaseSettings: Sendable, Equatable, Codable {
    /// Which database.
    public var kind: DatabaseKind
    /// Its port inside the guest.
    public var port: Int
    /// The password user-data sets.
    public var password: String
    /// The login user-data makes (PostgreSQL role, MariaDB user); nil for Redis and Valkey.
    public var user: String?
    /// The database the user logs in to; nil for Redis and Valkey.
    public var database: String?

    /// Makes settings from their parts.
    public init(kind: DatabaseKind, port: Int, password: String, user: String? = nil, database: String? = nil) {
        self.kind = kind
        self.port = port
        self.password = password
        self.user = user
        self.database = database
    }

    /// Settings with the test port, a fresh random password and, for the SQL databases, user and database
    /// `dibkit_test` (not the image's defaults, so the check shows they were applied). The password is 24 random
    /// letters and digits around what password managers paste and configuration syntaxes trip on — a space,
    /// both quotes, a backslash, `$`, `#`, a backtick and a colon — so every check also checks the quoting.
    public static func random(kind: DatabaseKind) -> DatabaseSettings {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        let letters = { (count: Int) in String((0..<count).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] }) }
        let password = letters(12) + " '\"\\$#`:" + letters(12)
        let name = kind.defaultUser.map { _ in "dibkit_test" }
        return DatabaseSettings(kind: kind, port: kind.testPort, password: password, user: name, database: name)
    }
}

/// What to boot and what to check.
public struct BootCheckOptions: Sendable {
    /// The image to boot (qcow2 or raw, detected from its content). It is never modified.
    public var image: URL
    /// A `#cloud-config` file to pass as user-data; nil means one generated from `database`.
    public var userData: URL?
    /// The database to check and the credentials user-data gives it.
    public var database: DatabaseSettings
    /// Guest memory in MiB.
    public var memoryMiB: Int = 1536
    /// Guest CPUs.
    public var cpus: Int = 2
    /// The firmware the guest boots with; every dibkit image boots under both.
    public var firmware: Firmware = .bios
    /// How long one boot may take until the database answers; nil means 10 minutes under TCG, 3 under KVM.
    public var bootTimeout: Duration?
    /// Power the guest down through ACPI and boot it again to check that settings persist.
    public var reboot: Bool = true
    /// Where to copy the serial console(s) to; kept also when the check fails.
    public var keepConsole: URL?
    /// Where the run's temporary directory is made; the system temporary directory by default.
    public var workParent: URL?

    /// Options with defaults for everything but the image and the database.
    public init(image: URL, userData: URL? = nil, database: DatabaseSettings) {
        self.image = image
        self.userData = userData
        self.database = database
    }
}
