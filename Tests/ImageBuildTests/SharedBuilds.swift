import Foundation
import HostProcesses
import ImageBuild
import Reporting
import TestSupport

/// The images the end-to-end tests boot, each built once per test run and shared: one Redis image serves the
/// single-instance check and the replica/Sentinel/TLS topology, one PostgreSQL image the single check and the
/// standby. They live in `/var/tmp/dibkit-shared-<pid>-*`, removed when the test process exits.
actor SharedBuilds {
    static let shared = SharedBuilds()

    /// One finished build: where it went, its manifest, the progress events it sent.
    struct Built: Sendable {
        let configuration: BuildConfiguration
        let manifest: Manifest
        let events: EventLog
        /// What the build left in its temp folder (nothing, if it cleaned up).
        let leftovers: [String]
    }

    private var builds: [String: Task<Built, any Error>] = [:]

    private init() {
        atexit {
            let prefix = "dibkit-shared-\(getpid())-"
            for name in (try? FileManager.default.contentsOfDirectory(atPath: "/var/tmp")) ?? [] where name.hasPrefix(prefix) {
                try? FileManager.default.removeItem(atPath: "/var/tmp/" + name)
            }
        }
    }

    /// The image of `database` on `release`, built by the first caller; later callers wait for it and share it.
    /// A build that failed fails every caller.
    func image(_ database: String, release: String = "trixie", acceptExpiredRelease: Bool = false) async throws -> Built {
        let key = "\(database)-\(release)"
        if let build = builds[key] { return try await build.value }
        let build = Task<Built, any Error> {
            let fixture = try BuildFixture(folder: URL(fileURLWithPath: "/var/tmp/dibkit-shared-\(getpid())-\(key)"))
            var configuration = try fixture.configuration([database], name: "\(key)-e2e", release: release)
            configuration.acceptExpiredRelease = acceptExpiredRelease
            let events = EventLog()
            let manifest = try await ImageBuild.build(
                configuration, progress: events.record)
            return Built(configuration: configuration, manifest: manifest, events: events, leftovers: fixture.leftovers)
        }
        builds[key] = build
        return try await build.value
    }
}
