import Foundation

/// The database servers installed on the host, which the probe and first-boot hook tests run.
public enum HostDatabases {
    /// The newest PostgreSQL major version with a server binary (`/usr/lib/postgresql/N/bin/postgres`), if any.
    public static let postgreSQLVersion: String? = {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        return versions.filter { FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\($0)/bin/postgres") }
            .max { (Int($0) ?? 0) < (Int($1) ?? 0) }
    }()

    /// That version's server binaries, `/usr/lib/postgresql/N/bin`.
    public static var postgreSQLBin: String? { postgreSQLVersion.map { "/usr/lib/postgresql/\($0)/bin" } }
}
