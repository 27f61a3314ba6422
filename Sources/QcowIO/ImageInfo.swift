public import Foundation

/// Image formats QcowIO knows, told apart by content.
public enum ImageFormat: String, Sendable, Codable {
    case qcow2, raw

    /// The format of the file at `url`: qcow2 when it starts with qcow2's magic, raw otherwise.
    public static func detect(at url: URL) throws -> ImageFormat {
        let bytes = try readPrefix(of: url, count: 4)
        return BigEndianReader(bytes: bytes).u32(0) == Qcow2.magic ? .qcow2 : .raw
    }
}

/// What `dibkit info` reports about an image.
public struct ImageInfo: Sendable, Codable, Equatable {
    public var format: ImageFormat
    /// Bytes the guest sees.
    public var virtualSize: UInt64
    /// Bytes the file occupies on disk (allocated blocks).
    public var actualSize: UInt64
    public var clusterSize: Int?
    public var version: UInt32?
    /// `zlib` or `zstd`: the algorithm of compressed clusters, if any.
    public var compressionType: String?
    public var extendedL2: Bool?
    public var backingFile: String?
    public var backingFormat: String?
}

/// Reads the header of the image at `url` (format detected by content) and reports it.
/// - Throws: `QcowError` when the file cannot be read or its qcow2 header is malformed.
public func info(of url: URL) throws -> ImageInfo {
    var status = stat()
    guard stat(url.path, &status) == 0 else {
        throw QcowError.unreadable(path: url.path, reason: String(cString: strerror(errno)))
    }
    let fileSize = UInt64(status.st_size)
    let actual = UInt64(status.st_blocks) * 512
    guard try ImageFormat.detect(at: url) == .qcow2 else {
        return ImageInfo(format: .raw, virtualSize: fileSize, actualSize: actual)
    }
    // The header, its extensions and the backing file name all lie in the first cluster (at most 2 MiB).
    let first = try readPrefix(of: url, count: Int(min(fileSize, 2 << 20)))
    let header = try Qcow2.Header.parse(first, fileSize: fileSize, path: url.path)
    return ImageInfo(
        format: .qcow2, virtualSize: header.size, actualSize: actual, clusterSize: header.clusterSize,
        version: header.version, compressionType: header.compressionType == 1 ? "zstd" : "zlib",
        extendedL2: header.extendedL2, backingFile: header.backingFile, backingFormat: header.backingFormat)
}

/// The first `count` bytes of a file (fewer if it is shorter).
func readPrefix(of url: URL, count: Int) throws -> [UInt8] {
    let file = try ImageFile(readingAt: url.path)
    return try file.readBytes(count: Int(min(UInt64(count), try file.size())), at: 0)
}
