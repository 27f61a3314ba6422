/// The flavors dibkit ships for each database: small, medium and large, sized the way managed database
/// services size theirs.
///
/// - Redis and Valkey (its fork) keep their data in memory: memory leads, and the database disk (RDB/AOF) is
///   about twice memory.
/// - PostgreSQL, MariaDB and MySQL are disk-bound: memory for caches, a database disk several times larger.
/// - MongoDB's WiredTiger cache takes half of memory: more memory per CPU than the SQL servers.
/// Every root disk is 5 GiB (images are 3 GiB virtual by default); backups get twice the database disk.
public enum PredefinedFlavors {
    /// Databases with a predefined set, in display order.
    public static let databases = ["redis", "valkey", "postgresql", "mariadb", "mysql", "mongodb"]

    /// The predefined flavors of `database`, small to large; empty for an unknown database.
    public static func flavors(of database: String) -> [Flavor] {
        (table[database] ?? []).map { name, spec in Flavor(database: database, name: name, spec: spec) }
    }

    private static let sql: [(String, FlavorSpec)] = [
        ("small", FlavorSpec(vcpus: 1, ramGB: 2, rootMB: 5120, databaseMB: 10240, backupMB: 20480)),
        ("medium", FlavorSpec(vcpus: 2, ramGB: 8, rootMB: 5120, databaseMB: 51200, backupMB: 102400)),
        ("large", FlavorSpec(vcpus: 8, ramGB: 32, rootMB: 5120, databaseMB: 204800, backupMB: 409600)),
    ]

    private static let inMemory: [(String, FlavorSpec)] = [
        ("small", FlavorSpec(vcpus: 1, ramGB: 2, rootMB: 5120, databaseMB: 4096, backupMB: 8192)),
        ("medium", FlavorSpec(vcpus: 2, ramGB: 8, rootMB: 5120, databaseMB: 16384, backupMB: 32768)),
        ("large", FlavorSpec(vcpus: 4, ramGB: 32, rootMB: 5120, databaseMB: 65536, backupMB: 131072)),
    ]

    private static let table: [String: [(String, FlavorSpec)]] = [
        "redis": inMemory,
        "valkey": inMemory,
        "postgresql": sql,
        "mariadb": sql,
        "mysql": sql,
        "mongodb": [
            ("small", FlavorSpec(vcpus: 2, ramGB: 4, rootMB: 5120, databaseMB: 20480, backupMB: 40960)),
            ("medium", FlavorSpec(vcpus: 4, ramGB: 16, rootMB: 5120, databaseMB: 102400, backupMB: 204800)),
            ("large", FlavorSpec(vcpus: 8, ramGB: 64, rootMB: 5120, databaseMB: 409600, backupMB: 819200)),
        ],
    ]
}
