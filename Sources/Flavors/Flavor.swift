/// The size of a database instance: what `dibkit flavor` shows, changes and uploads.
public struct FlavorSpec: Sendable, Codable, Equatable {
    /// Virtual CPUs.
    public var vcpus: Int
    /// Memory in GiB (the seed's `-m` unit).
    public var ramGB: Int
    /// Root disk (first virtual disk) in MiB.
    public var rootMB: Int
    /// Database disk (second virtual disk) in MiB.
    public var databaseMB: Int
    /// Backup storage (object store) in MiB.
    public var backupMB: Int

    /// Makes a spec from its fields.
    public init(vcpus: Int, ramGB: Int, rootMB: Int, databaseMB: Int, backupMB: Int) {
        self.vcpus = vcpus
        self.ramGB = ramGB
        self.rootMB = rootMB
        self.databaseMB = databaseMB
        self.backupMB = backupMB
    }

    /// One field, as `dibkit flavor change` names it.
    public enum Field: String, Sendable, CaseIterable, Codable {
        case vcpus, ramGB = "ram_gb", rootMB = "root_mb", databaseMB = "database_mb", backupMB = "backup_mb"

        /// The field's key path in a spec.
        var keyPath: WritableKeyPath<FlavorSpec, Int> {
            switch self {
            case .vcpus: \.vcpus
            case .ramGB: \.ramGB
            case .rootMB: \.rootMB
            case .databaseMB: \.databaseMB
            case .backupMB: \.backupMB
            }
        }

        /// The smallest value that makes sense: a flavor needs a CPU, memory and a root disk.
        var minimum: Int {
            switch self {
            case .vcpus, .ramGB, .rootMB: 1
            case .databaseMB, .backupMB: 0
            }
        }
    }

    /// The value of `field`.
    public subscript(field: Field) -> Int {
        get { self[keyPath: field.keyPath] }
        set { self[keyPath: field.keyPath] = newValue }
    }
}

/// A named flavor of one database, e.g. redis `small`.
public struct Flavor: Sendable, Codable, Equatable {
    /// The database it sizes (`redis`, `postgresql`…).
    public var database: String
    /// Its name within the database's set (`small`, `medium`, `large`).
    public var name: String
    /// Its size.
    public var spec: FlavorSpec

    /// Makes a flavor from its parts.
    public init(database: String, name: String, spec: FlavorSpec) {
        self.database = database
        self.name = name
        self.spec = spec
    }

    /// The name it gets in the cloud: `<database>.<name>`, e.g. `redis.small`.
    public var cloudName: String { "\(database).\(name)" }
}
