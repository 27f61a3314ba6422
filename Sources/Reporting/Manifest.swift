public import Foundation

/// `images/NAME.json`: what an image holds and how it was made.
public struct Manifest: Codable, Sendable {
    public struct Package: Codable, Sendable, Equatable {
        public let name: String
        public let version: String

        public init(name: String, version: String) {
            self.name = name
            self.version = version
        }
    }

    public struct PhaseTiming: Codable, Sendable {
        public let name: String
        public let seconds: Double

        public init(name: String, seconds: Double) {
            self.name = name
            self.seconds = seconds
        }
    }

    public struct Sizes: Codable, Sendable {
        /// Bytes of the image file.
        public let image: UInt64
        /// The disk's virtual size in bytes.
        public let virtual: UInt64
        /// Bytes of file data in the root tree.
        public let rootfs: UInt64

        public init(image: UInt64, virtual: UInt64, rootfs: UInt64) {
            self.image = image
            self.virtual = virtual
            self.rootfs = rootfs
        }
    }

    /// What `-v`, `-c`/`-e` and `-p` selected for the database.
    public struct DatabaseVersion: Codable, Sendable, Equatable {
        /// The version as the element's table names it (`7.0`), or as `-v` gave it with a vendor package.
        public var version: String
        /// `distro`, `vendor`, or another source of the element's table.
        public var source: String
        public var edition: String?
        /// The `-p` file's name and SHA-256, when one was installed.
        public var vendorPackage: String?
        public var vendorPackageSHA256: String?

        public init(version: String, source: String, edition: String?, vendorPackage: String?, vendorPackageSHA256: String?) {
            self.version = version
            self.source = source
            self.edition = edition
            self.vendorPackage = vendorPackage
            self.vendorPackageSHA256 = vendorPackageSHA256
        }
    }

    /// One suite of the mirror as the build found it: its `Release` file's `Date`.
    public struct SuiteRelease: Codable, Sendable, Equatable {
        /// `trixie`, `trixie-updates`, `trixie-security`…
        public var suite: String
        /// The `Date:` field, as the mirror wrote it (`Sat, 15 Nov 2026 09:12:40 UTC`).
        public var date: String
        public init(suite: String, date: String) {
            self.suite = suite
            self.date = date
        }
    }

    public var name: String
    /// The database element the image is for (`redis`…), when there is one.
    public var database: String?
    /// Its version, source and edition, when the element has a version table.
    public var databaseVersion: DatabaseVersion?
    /// The login user and how many ssh keys it was given with `-k` (0: none baked in).
    public var loginUser: String
    public var authorizedKeys: Int
    /// The database's default TCP ports.
    public var ports: [Int]
    public var elements: [String]
    public var release: String
    public var arch: String
    public var mirror: String
    public var format: String
    public var compression: String
    public var packages: [Package]
    public var sha256: String
    public var sizes: Sizes
    public var phases: [PhaseTiming]
    public var baseRootFromCache: Bool
    /// The mirror's state the packages came from: each suite's `Release` date (nil in older manifests).
    public var mirrorReleases: [SuiteRelease]?
    /// How many packages of the cached base root the build upgraded to the mirror's versions.
    public var baseRootUpgrades: Int?
    /// Whether the phases up to install.d were skipped for a cached installed tree (nil: no such cache was
    /// looked for: `--no-incremental`, an unreadable mirror state, or an older manifest).
    public var installedTreeFromCache: Bool?
    /// The image's SBOM, `NAME.spdx.json` (SPDX 2.3 JSON): its file name, in the manifest's folder (nil in
    /// older manifests).
    public var sbom: String?
    public var created: Date
    public var dibkitVersion: String

    /// Reads the manifest beside `image` (`NAME.json` for `NAME.qcow2`).
    public static func beside(_ image: URL) throws -> Manifest {
        try decoder.decode(Manifest.self, from: Data(contentsOf: url(beside: image)))
    }

    /// Where the manifest of `image` is: `NAME.json` beside `NAME.qcow2`.
    public static func url(beside image: URL) -> URL {
        image.deletingPathExtension().appendingPathExtension("json")
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public init(name: String, database: String?, databaseVersion: DatabaseVersion?, loginUser: String, authorizedKeys: Int, ports: [Int], elements: [String], release: String, arch: String, mirror: String, format: String, compression: String, packages: [Package], sha256: String, sizes: Sizes, phases: [PhaseTiming], baseRootFromCache: Bool, created: Date, dibkitVersion: String) {
        self.name = name
        self.database = database
        self.databaseVersion = databaseVersion
        self.loginUser = loginUser
        self.authorizedKeys = authorizedKeys
        self.ports = ports
        self.elements = elements
        self.release = release
        self.arch = arch
        self.mirror = mirror
        self.format = format
        self.compression = compression
        self.packages = packages
        self.sha256 = sha256
        self.sizes = sizes
        self.phases = phases
        self.baseRootFromCache = baseRootFromCache
        self.created = created
        self.dibkitVersion = dibkitVersion
    }
}
