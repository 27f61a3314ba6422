public import Foundation

/// Creates `url` for this user alone (mode 0600) and writes `contents` into it, unless something already has
/// that name: `open` with `O_CREAT|O_EXCL`, which neither follows a symbolic link (not even a dangling one)
/// nor opens an existing file, so what is there is never written through or replaced. For files that hold
/// secrets: user-data with a database password, a copy of an image with a message queue's password.
/// - Returns: false when something already has that name; nothing was written.
/// - Throws: `ProcessError.toolFailed` naming the call (`open`, `write`) and the path.
@discardableResult
public func createPrivateFile(at url: URL, contents: Data = Data()) throws -> Bool {
    func failure(_ call: String) -> ProcessError {
        .toolFailed(tool: "\(call) \(url.path)", message: String(cString: strerror(errno)))
    }
    let descriptor = open(url.path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else {
        if errno == EEXIST { return false }
        throw failure("open")
    }
    defer { close(descriptor) }
    var written = 0
    while written < contents.count {
        let count = contents.withUnsafeBytes { bytes in
            write(descriptor, bytes.baseAddress! + written, bytes.count - written)
        }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else {
            let error = failure("write")
            unlink(url.path)
            throw error
        }
        written += count
    }
    return true
}
