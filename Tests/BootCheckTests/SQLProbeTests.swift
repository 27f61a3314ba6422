import Foundation
import HostProcesses
import TestSupport
import Testing

@testable import BootCheck

@Suite("PostgreSQL probe with psql against a real server", .enabled(if: hasPostgreSQL, "needs postgresql (apt)"))
struct PostgreSQLProbeTests {
    @Test("the right password passes all three checks")
    func passes() async throws {
        let directory = try TemporaryFolder()
        let server = try await PostgreSQLServer(in: directory.url)
        let answered = await PostgreSQLProbe().answers(loopbackPort: server.port)
        let passed = try await PostgreSQLProbe().checkAuthentication(loopbackPort: server.port, settings: server.settings)
        await server.stop()
        #expect(answered)
        #expect(passed == [
            "postgresql: psql with the password runs a query as dibkit_test@postgres",
            "postgresql: psql without a password is refused", "postgresql: a wrong password is refused",
        ])
    }

    /// The probe's failure against a fresh server with TCP `authentication`, checked with the server's
    /// settings after `change`.
    private func failure(
        authentication: String = "scram-sha-256", _ change: (inout DatabaseSettings) -> Void = { _ in }
    ) async throws -> ProbeFailure? {
        let directory = try TemporaryFolder()
        let server = try await PostgreSQLServer(in: directory.url, authentication: authentication)
        var settings = server.settings
        change(&settings)
        let error = await #expect(throws: ProbeFailure.self) {
            try await PostgreSQLProbe().checkAuthentication(loopbackPort: server.port, settings: settings)
        }
        await server.stop()
        return error
    }

    @Test("a generated password (a space, both quotes, a backslash, $, #, a backtick, a colon) passes")
    func awkwardPasswordPasses() async throws {
        let directory = try TemporaryFolder()
        let password = DatabaseSettings.random(kind: .postgresql).password
        let server = try await PostgreSQLServer(in: directory.url, password: password)
        let passed = try await passedChecks(of: PostgreSQLProbe(), port: server.port, settings: server.settings,
                                            stop: server.stop)
        #expect(passed.count == 3)
    }

    @Test("a wrong expected password fails the first check with psql's message")
    func wrongPasswordFails() async throws {
        let error = try await failure { $0.password = "not-the-password" }
        #expect(error?.check == "postgresql: psql with the password runs a query as dibkit_test@postgres")
        #expect(error?.reason.contains("password authentication failed for user \"dibkit_test\"") == true)
    }

    @Test("a server that lets anyone in fails the check that no password is refused")
    func trustingServerFails() async throws {
        let error = try await failure(authentication: "trust")
        #expect(error?.check == "postgresql: psql without a password is refused")
        #expect(error?.reason.contains("expected the server to ask for a password; psql exited with status 0") == true)
    }

    @Test("a database that does not exist fails the first check, naming it")
    func missingDatabaseFails() async throws {
        let error = try await failure { $0.database = "absent" }
        #expect(error?.reason.contains("database \"absent\" does not exist") == true)
    }

    @Test("nothing listening: the probe says no")
    func closedPort() async throws {
        #expect(await PostgreSQLProbe().answers(loopbackPort: try freeLoopbackPort()) == false)
    }
}

@Suite("MariaDB probe with the mariadb client against a real server", .enabled(if: hasMariaDB, "needs root and mariadb-server (apt)"))
struct MariaDBProbeTests {
    @Test("the right password passes all three checks")
    func passes() async throws {
        let directory = try TemporaryFolder()
        let server = try await MariaDBServer(in: directory.url)
        let passed = try await MariaDBProbe().checkAuthentication(loopbackPort: server.port, settings: server.settings)
        await server.stop()
        #expect(passed == [
            "mariadb: the password logs dibkit_test in and a query runs in dibkit_test", "mariadb: no password is refused",
            "mariadb: a wrong password is refused",
        ])
    }

    @Test("a generated password (a space, both quotes, a backslash, $, #, a backtick, a colon) passes")
    func awkwardPasswordPasses() async throws {
        let directory = try TemporaryFolder()
        let password = DatabaseSettings.random(kind: .mariadb).password
        let server = try await MariaDBServer(in: directory.url, password: password)
        let passed = try await passedChecks(of: MariaDBProbe(), port: server.port, settings: server.settings,
                                            stop: server.stop)
        #expect(passed.count == 3)
    }

    @Test("a wrong expected password fails the first check with the server's refusal; mysql names the checks")
    func wrongPasswordFails() async throws {
        let directory = try TemporaryFolder()
        let server = try await MariaDBServer(in: directory.url)
        var settings = server.settings
        settings.password = "not-the-password"
        let error = await #expect(throws: ProbeFailure.self) {
            try await MariaDBProbe(product: "mysql").checkAuthentication(loopbackPort: server.port, settings: settings)
        }
        await server.stop()
        #expect(error?.check == "mysql: the password logs dibkit_test in and a query runs in dibkit_test")
        #expect(error?.reason.contains("Access denied for user 'dibkit_test'") == true)
    }

    @Test("an account without a password does not pass")
    func passwordlessAccountFails() async throws {
        let directory = try TemporaryFolder()
        let server = try await MariaDBServer(in: directory.url, password: nil)
        var settings = server.settings
        settings.password = "any-password"
        let error = await #expect(throws: ProbeFailure.self) {
            try await MariaDBProbe().checkAuthentication(loopbackPort: server.port, settings: settings)
        }
        await server.stop()
        #expect(error?.check == "mariadb: the password logs dibkit_test in and a query runs in dibkit_test")
    }

    @Test("nothing listening: the probe says no")
    func closedPort() async throws {
        #expect(await MariaDBProbe().answers(loopbackPort: try freeLoopbackPort()) == false)
    }
}
