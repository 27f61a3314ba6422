import Foundation

/// Socket failures, with the C call that failed.
struct SocketError: Error, CustomStringConvertible {
    var operation: String
    var message: String
    var description: String { "\(operation): \(message)" }

    static func errno(_ operation: String, _ code: Int32 = Foundation.errno) -> SocketError {
        SocketError(operation: operation, message: String(cString: strerror(code)))
    }
}

/// A connected stream socket with blocking reads and writes bounded by a timeout.
/// Not thread-safe: use it from one thread (see `onBlockingThread`).
final class BlockingSocket {
    private let fd: Int32
    private var buffer: [UInt8] = []

    private init(fd: Int32, timeout: Duration) throws {
        self.fd = fd
        var tv = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            guard setsockopt(fd, SOL_SOCKET, option, &tv, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
                let error = SocketError.errno("setsockopt")
                close(fd)
                throw error
            }
        }
    }

    deinit { close(fd) }

    /// Connects to `127.0.0.1:port` (IPv4 loopback), waiting at most `timeout` for the connection.
    static func tcp(loopbackPort port: Int, timeout: Duration) throws -> BlockingSocket {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError.errno("socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if rc != 0 {
            guard errno == EINPROGRESS else {
                let error = SocketError.errno("connect 127.0.0.1:\(port)")
                close(fd)
                throw error
            }
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let millis = Int32(timeout.components.seconds * 1000)
            var pending: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard poll(&poller, 1, millis) == 1,
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &pending, &length) == 0, pending == 0
            else {
                let error = pending != 0
                    ? SocketError.errno("connect 127.0.0.1:\(port)", pending)
                    : SocketError(operation: "connect 127.0.0.1:\(port)", message: "timed out")
                close(fd)
                throw error
            }
        }
        _ = fcntl(fd, F_SETFL, flags)
        return try BlockingSocket(fd: fd, timeout: timeout)
    }

    /// Connects to a Unix domain socket at `path`.
    static func unix(path: String, timeout: Duration) throws -> BlockingSocket {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError.errno("socket") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw SocketError(operation: "connect \(path)", message: "path too long for a Unix socket")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else {
            let error = SocketError.errno("connect \(path)")
            close(fd)
            throw error
        }
        return try BlockingSocket(fd: fd, timeout: timeout)
    }

    /// Writes all of `text`.
    func write(_ text: String) throws {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw SocketError.errno("send") }
            bytes = bytes.dropFirst(sent)
        }
    }

    /// Reads up to and without the next `\n` (a preceding `\r` is dropped too).
    func readLine() throws -> String {
        while true {
            if let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<end])
                buffer.removeFirst(end + 1)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            try fill()
        }
    }

    /// Reads exactly `count` bytes.
    func read(count: Int) throws -> [UInt8] {
        while buffer.count < count { try fill() }
        defer { buffer.removeFirst(count) }
        return Array(buffer.prefix(count))
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let got = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if got == 0 { throw SocketError(operation: "recv", message: "connection closed by peer") }
        if got < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK { throw SocketError(operation: "recv", message: "timed out") }
            throw SocketError.errno("recv")
        }
        buffer.append(contentsOf: chunk.prefix(got))
    }
}

/// Runs blocking work on its own thread, off Swift's cooperative pool, and resumes with its result.
func onBlockingThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}
