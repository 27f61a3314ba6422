import Foundation
import HostProcesses
import TestSupport
import Testing

@testable import BootCheck

@Suite("Redis probe against a real redis-server", .enabled(if: hasRedisServer, "needs redis-server (apt)"))
struct RedisProbeTests {
    @Test("RESP round trip: AUTH, SET, GET, a missing key")
    func roundTrip() async throws {
        let directory = try TemporaryFolder()
        let server = try await RedisServer(in: directory.url)
        let (port, password) = (server.port, server.password)
        let replies = try await onBlockingThread {
            let client = try RESPClient(loopbackPort: port, timeout: .seconds(5))
            return [
                try client.command("AUTH", password), try client.command("SET", "k", "välue\r\n"),
                try client.command("GET", "k"), try client.command("GET", "missing"),
                try client.command("DEL", "k"),
            ]
        }
        await server.stop()
        #expect(replies == [.simple("OK"), .simple("OK"), .bulk("välue\r\n"), .bulk(nil), .integer(1)])
    }

    @Test("the right password passes all three checks, named after the database (Valkey's probe is Redis's)",
          arguments: [DatabaseKind.redis, .valkey])
    func passes(kind: DatabaseKind) async throws {
        let directory = try TemporaryFolder()
        let server = try await RedisServer(in: directory.url)
        #expect(await kind.probe.answers(loopbackPort: server.port))
        let passed = try await kind.probe.checkAuthentication(
            loopbackPort: server.port, settings: DatabaseSettings(kind: kind, port: 6379, password: server.password))
        await server.stop()
        let name = kind.rawValue
        #expect(passed == [
            "\(name): PING with the password gives PONG", "\(name): PING without a password is refused",
            "\(name): a wrong password is refused",
        ])
    }

    @Test("a generated password (a space, both quotes, a backslash, $, #, a backtick, a colon) passes")
    func awkwardPasswordPasses() async throws {
        let directory = try TemporaryFolder()
        let server = try await RedisServer(in: directory.url, password: DatabaseSettings.random(kind: .redis).password)
        let settings = DatabaseSettings(kind: .redis, port: 6379, password: server.password)
        let passed = try await passedChecks(of: RedisProbe(), port: server.port, settings: settings, stop: server.stop)
        #expect(passed.count == 3)
    }

    @Test("a wrong expected password fails the first check, naming the server's reply")
    func wrongPasswordFails() async throws {
        let directory = try TemporaryFolder()
        let server = try await RedisServer(in: directory.url)
        let error = await #expect(throws: ProbeFailure.self) {
            try await RedisProbe().checkAuthentication(
                loopbackPort: server.port, settings: DatabaseSettings(kind: .redis, port: 6379, password: "not-it"))
        }
        await server.stop()
        #expect(error?.check == "redis: PING with the password gives PONG")
        #expect(error?.reason.contains("-WRONGPASS") == true)
    }

    @Test("a server without a password fails the refusal check")
    func noPasswordServerFails() async throws {
        let directory = try TemporaryFolder()
        let server = try await RedisServer(in: directory.url)
        let (port, password) = (server.port, server.password)
        _ = try await onBlockingThread {
            let client = try RESPClient(loopbackPort: port, timeout: .seconds(5))
            _ = try client.command("AUTH", password)
            return try client.command("CONFIG", "SET", "requirepass", "")
        }
        let error = await #expect(throws: ProbeFailure.self) {
            try await RedisProbe().checkAuthentication(
                loopbackPort: port, settings: DatabaseSettings(kind: .redis, port: 6379, password: "anything"))
        }
        await server.stop()
        #expect(error?.check == "redis: PING with the password gives PONG")
    }

    @Test("nothing listening: the probe says no")
    func closedPort() async throws {
        let port = try freeLoopbackPort()
        #expect(await RedisProbe().answers(loopbackPort: port) == false)
    }
}
