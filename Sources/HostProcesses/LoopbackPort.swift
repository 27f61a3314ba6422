import Foundation

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it back, close): for a guest port
/// forwarded to the host, or a test server.
/// - Throws: `ProcessError.toolFailed` naming the socket call that failed.
public func freeLoopbackPort() throws -> Int {
    func failure(_ call: String) -> ProcessError { .toolFailed(tool: call, message: String(cString: strerror(errno))) }
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw failure("socket") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
        }
    }
    guard bound else { throw failure("bind 127.0.0.1:0") }
    return Int(UInt16(bigEndian: address.sin_port))
}
