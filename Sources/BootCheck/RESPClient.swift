/// A value in the Redis serialization protocol (RESP2).
enum RESPValue: Equatable, Sendable {
    case simple(String)
    case error(String)
    case integer(Int)
    case bulk(String?)
    case array([RESPValue]?)
}

/// A minimal blocking RESP client for probing a Redis server: send a command, read one reply.
final class RESPClient {
    private let socket: BlockingSocket

    /// Connects to `127.0.0.1:port`; every read and write is bounded by `timeout`.
    init(loopbackPort port: Int, timeout: Duration) throws {
        socket = try BlockingSocket.tcp(loopbackPort: port, timeout: timeout)
    }

    /// Sends `arguments` as a RESP array of bulk strings and reads the reply.
    func command(_ arguments: String...) throws -> RESPValue {
        var request = "*\(arguments.count)\r\n"
        for argument in arguments { request += "$\(argument.utf8.count)\r\n\(argument)\r\n" }
        try socket.write(request)
        return try readValue()
    }

    private func readValue() throws -> RESPValue {
        let line = try socket.readLine()
        guard let kind = line.first else { throw protocolError("empty reply line") }
        let rest = String(line.dropFirst())
        switch kind {
        case "+": return .simple(rest)
        case "-": return .error(rest)
        case ":":
            guard let number = Int(rest) else { throw protocolError("bad integer \(rest)") }
            return .integer(number)
        case "$":
            guard let length = Int(rest) else { throw protocolError("bad bulk length \(rest)") }
            if length < 0 { return .bulk(nil) }
            let bytes = try socket.read(count: length + 2)
            return .bulk(String(decoding: bytes.prefix(length), as: UTF8.self))
        case "*":
            guard let count = Int(rest) else { throw protocolError("bad array length \(rest)") }
            if count < 0 { return .array(nil) }
            return .array(try (0..<count).map { _ in try readValue() })
        default:
            throw protocolError("unexpected reply \(line.prefix(60))")
        }
    }

    private func protocolError(_ message: String) -> SocketError {
        SocketError(operation: "RESP", message: message)
    }
}
