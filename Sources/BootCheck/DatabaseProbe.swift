/// Speaks one database's protocol from the host to tell whether it is up and whether authentication holds.
/// Redis and Valkey (RESP) are spoken natively; PostgreSQL and MariaDB/MySQL through their command-line clients.
public protocol DatabaseProbe: Sendable {
    /// True once a server on `127.0.0.1:port` answers in its protocol (a refusal to authenticate counts as
    /// an answer; a closed connection or a "still loading" reply does not).
    func answers(loopbackPort port: Int) async -> Bool

    /// Checks that the user, password and database of `settings` are accepted (a query runs) and that no
    /// password and a wrong one are refused. `settings.port` is the guest's; the server is reached on `port`.
    /// - Returns: the names of the checks that passed, in order.
    /// - Throws: `ProbeFailure` naming the first check that failed and what the server said.
    func checkAuthentication(loopbackPort port: Int, settings: DatabaseSettings) async throws(ProbeFailure) -> [String]
}

/// A failed database check: its name and what happened.
public struct ProbeFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var check: String
    public var reason: String
    public init(check: String, reason: String) {
        self.check = check
        self.reason = reason
    }
    public var description: String { "check '\(check)' failed: \(reason)" }
}

/// Probes Redis, or Valkey, through RESP: `AUTH` + `PING` → `PONG`, bare `PING` → `-NOAUTH`, wrong `AUTH` →
/// `-WRONGPASS`.
public struct RedisProbe: DatabaseProbe {
    /// `redis` or `valkey`, naming the checks.
    public var product: String
    /// Bound on each connect, read and write during the checks.
    public var timeout: Duration = .seconds(5)
    /// Bound on the readiness probe, kept short so that a cancelled boot stops promptly.
    public var readinessTimeout: Duration = .seconds(2)

    /// A probe whose checks are named after `product`.
    public init(product: String = "redis") {
        self.product = product
    }

    public func answers(loopbackPort port: Int) async -> Bool {
        let timeout = readinessTimeout
        let reply = try? await onBlockingThread {
            try RESPClient(loopbackPort: port, timeout: timeout).command("PING")
        }
        switch reply {
        case .simple, .bulk: return true
        case .error(let message): return !message.hasPrefix("LOADING")
        default: return false
        }
    }

    public func checkAuthentication(
        loopbackPort port: Int, settings: DatabaseSettings
    ) async throws(ProbeFailure) -> [String] {
        let password = settings.password
        let product = product
        let checks: [(String, [String], @Sendable ([RESPValue]) -> String?)] = [
            ("\(product): PING with the password gives PONG", ["AUTH", password], { replies in
                replies == [.simple("OK"), .simple("PONG")] ? nil : "expected +OK, +PONG; got \(Self.show(replies))"
            }),
            ("\(product): PING without a password is refused", [], { replies in
                if case .error(let message) = replies.last, message.hasPrefix("NOAUTH") { return nil }
                return "expected -NOAUTH; got \(Self.show(replies))"
            }),
            ("\(product): a wrong password is refused", ["AUTH", "wrong-\(password)"], { replies in
                if case .error(let message) = replies.first, message.hasPrefix("WRONGPASS") { return nil }
                return "expected -WRONGPASS; got \(Self.show(replies))"
            }),
        ]
        var passed: [String] = []
        for (name, auth, judge) in checks {
            let timeout = timeout
            let replies: [RESPValue]
            do {
                replies = try await onBlockingThread {
                    let client = try RESPClient(loopbackPort: port, timeout: timeout)
                    var replies: [RESPValue] = []
                    if !auth.isEmpty { replies.append(try client.command(auth[0], auth[1])) }
                    if auth.isEmpty || replies.last == .simple("OK") { replies.append(try client.command("PING")) }
                    return replies
                }
            } catch {
                throw ProbeFailure(check: name, reason: "\(error)")
            }
            if let problem = judge(replies) { throw ProbeFailure(check: name, reason: problem) }
            passed.append(name)
        }
        return passed
    }

    private static func show(_ replies: [RESPValue]) -> String {
        replies.map { reply in
            switch reply {
            case .simple(let text): "+\(text)"
            case .error(let text): "-\(text)"
            case .integer(let number): ":\(number)"
            case .bulk(let text): text.map { "\"\($0)\"" } ?? "(nil)"
            case .array(let items): "array of \(items?.count ?? 0)"
            }
        }.joined(separator: ", ")
    }
}
