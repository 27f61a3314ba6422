public import Foundation

/// Guest bytes of an image, whatever its format. Not thread-safe: one thread reads at a time.
public protocol GuestReader: AnyObject {
    /// Bytes the guest sees.
    var virtualSize: UInt64 { get }
    /// Fills `buffer` with guest bytes from `offset`; past the end reads as zeros.
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws
    /// The run of guest bytes from `offset` (at most `limit` bytes, at least one) that either is known to
    /// read as zeros without reading it, or may hold data.
    func extent(at offset: UInt64, limit: UInt64) throws -> GuestExtent
}

/// A run of guest bytes, and whether it is known to read as zeros.
public struct GuestExtent: Sendable, Equatable {
    public var length: UInt64
    public var isZero: Bool
}

extension GuestReader {
    /// `count` guest bytes from `offset` as an array.
    public func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        try bytes.withUnsafeMutableBytes { try read(at: offset, into: $0) }
        return bytes
    }
}

/// A raw image: guest bytes are file bytes; holes in the file are known zeros.
public final class RawReader: GuestReader {
    private let file: ImageFile
    public let virtualSize: UInt64
    /// The last `dataRange` asked: from where, and the data range found at or after it (nil: only a hole).
    private var lastAnswer: (from: UInt64, data: Range<UInt64>?)?

    /// Opens `url` read-only.
    /// - Throws: `QcowError.unreadable` when it cannot be opened.
    public init(url: URL) throws {
        file = try ImageFile(readingAt: url.path)
        virtualSize = try file.size()
    }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws {
        try file.read(into: buffer, at: offset)
    }

    public func extent(at offset: UInt64, limit: UInt64) throws -> GuestExtent {
        guard offset < virtualSize else { return GuestExtent(length: max(1, limit), isZero: true) }
        let limit = min(limit, virtualSize - offset)
        // Reads go front to back: the last SEEK_DATA/SEEK_HOLE answer usually still holds (each costs a walk
        // of the file's extents and page cache).
        if lastAnswer == nil || offset < lastAnswer!.from || lastAnswer!.data.map({ offset >= $0.upperBound }) == true {
            lastAnswer = (offset, try file.dataRange(from: offset))
        }
        guard let data = lastAnswer!.data else { return GuestExtent(length: limit, isZero: true) }
        if data.lowerBound > offset { return GuestExtent(length: min(limit, data.lowerBound - offset), isZero: true) }
        return GuestExtent(length: min(limit, max(1, data.upperBound - offset)), isZero: false)
    }
}

extension Qcow2Reader: GuestReader {
    public var virtualSize: UInt64 { header.size }

    public func extent(at offset: UInt64, limit: UInt64) throws -> GuestExtent {
        let cluster = UInt64(clusterSize)
        guard offset < header.size else { return GuestExtent(length: max(1, limit), isZero: true) }
        let limit = min(limit, header.size - offset)
        var index = offset / cluster
        let toClusterEnd = min(limit, (index + 1) * cluster - offset)
        let first = try mapping(ofCluster: index)
        if first == .backing, let backing {
            guard offset < backing.virtualSize else { return GuestExtent(length: toClusterEnd, isZero: true) }
            return try backing.extent(at: offset, limit: min(toClusterEnd, backing.virtualSize - offset))
        }
        let isZero = first == .zero || first == .backing
        let perTable = UInt64(clusterSize / (header.extendedL2 ? 16 : 8))
        var length = toClusterEnd
        while length < limit {
            index += 1
            // A missing L2 table of an image without backing file: its whole range is zeros, in one step.
            if isZero, backing == nil, index % perTable == 0, index / perTable >= UInt64(l1.count) || l1[Int(index / perTable)] & Qcow2.offsetMask == 0 {
                length = min(limit, length + perTable * cluster)
                index += perTable - 1
                continue
            }
            let next = try mapping(ofCluster: index)
            let nextIsZero = next == .zero || (next == .backing && backing == nil)
            guard next != .backing || backing == nil, nextIsZero == isZero else { break }
            length = min(limit, length + cluster)
        }
        return GuestExtent(length: length, isZero: isZero)
    }
}

/// Opens an image for reading, its format detected by content.
/// - Parameter allowingAnyBacking: also read a qcow2's backing files outside its folder (see `Qcow2Reader`).
/// - Throws: `QcowError` when the file cannot be read, its qcow2 structures are malformed, or it names a
///   backing file it may not read.
public func openImage(_ url: URL, allowingAnyBacking: Bool = false) throws -> any GuestReader {
    try ImageFormat.detect(at: url) == .qcow2 ? Qcow2Reader(url: url, allowingAnyBacking: allowingAnyBacking) : RawReader(url: url)
}
