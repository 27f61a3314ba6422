public import Foundation

/// Guest bytes of an image, whatever its format.
public protocol GuestReader: AnyObject {
    /// Bytes the guest sees.
    var virtualSize: UInt64 { get }
    /// Reads `count` guest bytes at `offset`; past the end reads as zeros.
    func read(at offset: UInt64, count: Int) throws -> [UInt8]
}

extension Qcow2Reader: GuestReader {
    public var virtualSize: UInt64 { header.size }

    public func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        let cluster = UInt64(header.clusterSize)
        var result: [UInt8] = []
        result.reserveCapacity(count)
        var position = offset
        while result.count < count {
            let data = try readCluster(position / cluster)
            let start = Int(position % cluster)
            let take = min(count - result.count, data.count - start)
            result += data[start..<start + take]
            position += UInt64(take)
        }
        return result
    }
}

/// A raw image: guest bytes are file bytes.
public final class RawReader: GuestReader {
    private let descriptor: Int32
    private let path: String
    public let virtualSize: UInt64

    public init(url: URL) throws {
        path = url.path
        descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw QcowError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        var status = stat()
        fstat(descriptor, &status)
        virtualSize = UInt64(status.st_size)
    }

    deinit { close(descriptor) }

    public func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        var bytes = try Qcow2Reader.pread(descriptor, count: count, at: offset, path: path)
        if offset >= virtualSize { bytes = [UInt8](repeating: 0, count: count) }
        return bytes
    }
}

/// Opens an image for reading, its format detected by content.
public func openImage(_ url: URL) throws -> any GuestReader {
    try ImageFormat.detect(at: url) == .qcow2 ? Qcow2Reader(url: url) : RawReader(url: url)
}

/// Writes the guest bytes of `input` to `output` as a sparse raw file: zero runs become holes. The output
/// appears under its name only when complete (written to a temporary name beside it, then renamed).
public func convertToRaw(from input: URL, to output: URL) throws {
    let reader = try openImage(input)
    let temporary = output.deletingLastPathComponent().appendingPathComponent(".\(output.lastPathComponent).\(getpid()).partial")
    let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw QcowError.unreadable(path: temporary.path, reason: String(cString: strerror(errno))) }
    do {
        let chunk = 1 << 20
        var offset: UInt64 = 0
        while offset < reader.virtualSize {
            let count = Int(min(UInt64(chunk), reader.virtualSize - offset))
            let data = try reader.read(at: offset, count: count)
            if data.contains(where: { $0 != 0 }) {
                let written = data.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, count, off_t(offset)) }
                guard written == count else { throw QcowError.unreadable(path: temporary.path, reason: "short write: \(String(cString: strerror(errno)))") }
            }
            offset += UInt64(count)
        }
        guard ftruncate(descriptor, off_t(reader.virtualSize)) == 0, close(descriptor) == 0,
            rename(temporary.path, output.path) == 0
        else { throw QcowError.unreadable(path: output.path, reason: String(cString: strerror(errno))) }
    } catch {
        close(descriptor)
        unlink(temporary.path)
        throw error
    }
}
