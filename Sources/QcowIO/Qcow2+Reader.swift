internal import CZlib
internal import CZstd
public import Foundation

/// Reads guest bytes from a qcow2 image: L1/L2 lookup with a bounded L2 cache, zero and unallocated
/// clusters, compressed clusters (deflate, zstd), extended L2 subclusters, and backing files.
public final class Qcow2Reader {
    public let header: Qcow2.Header
    private let descriptor: Int32
    private let path: String
    private let fileSize: UInt64
    private let l1: [UInt64]
    private let backing: (any GuestReader)?
    private var l2Cache: [UInt64: [UInt64]] = [:]
    private var l2Order: [UInt64] = []
    static let l2CacheTables = 64
    static let maximumChain = 16

    /// Opens `url`; follows its backing chain (at most 16 deep; a loop is an error).
    public convenience init(url: URL) throws { try self.init(url: url, chain: []) }

    init(url: URL, chain: [String]) throws {
        path = url.path
        let resolved = url.resolvingSymlinksInPath().path
        guard !chain.contains(resolved) else {
            throw QcowError.malformed(path: path, field: "backing file", reason: "forms a loop: \((chain + [resolved]).joined(separator: " → "))")
        }
        guard chain.count < Self.maximumChain else {
            throw QcowError.malformed(path: path, field: "backing file", reason: "chain is deeper than \(Self.maximumChain)")
        }
        descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw QcowError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        var status = stat()
        fstat(descriptor, &status)
        fileSize = UInt64(status.st_size)
        do {
            header = try Qcow2.Header.parse(try readPrefix(of: url, count: Int(min(fileSize, 2 << 20))), fileSize: fileSize, path: path)
            let table = try Self.pread(descriptor, count: Int(header.l1Size) * 8, at: header.l1TableOffset, path: path)
            l1 = (0..<Int(header.l1Size)).map { BigEndianReader(bytes: table).u64($0 * 8)! }
            if let name = header.backingFile {
                let backingURL = name.hasPrefix("/") ? URL(fileURLWithPath: name) : url.deletingLastPathComponent().appendingPathComponent(name)
                let format = try header.backingFormat.flatMap(ImageFormat.init(rawValue:)) ?? ImageFormat.detect(at: backingURL)
                backing = format == .qcow2
                    ? try Qcow2Reader(url: backingURL, chain: chain + [resolved])
                    : try RawReader(url: backingURL)
            } else {
                backing = nil
            }
        } catch {
            close(descriptor)
            throw error
        }
    }

    deinit { close(descriptor) }

    /// Reads the cluster-aligned guest cluster `index` (clusterSize bytes; past the disk end reads as zeros).
    public func readCluster(_ index: UInt64) throws -> [UInt8] {
        let cluster = UInt64(header.clusterSize)
        let offset = index * cluster
        let entriesPerL2 = UInt64(header.clusterSize / (header.extendedL2 ? 16 : 8))
        let l1Index = Int(index / entriesPerL2)
        guard l1Index < l1.count, offset < header.size else { return [UInt8](repeating: 0, count: Int(cluster)) }
        let l2Offset = l1[l1Index] & 0x00FF_FFFF_FFFF_FE00
        guard l2Offset != 0 else { return try fromBacking(offset, count: Int(cluster)) }
        let table = try l2Table(at: l2Offset)
        let slot = Int(index % entriesPerL2) * (header.extendedL2 ? 2 : 1)
        let entry = table[slot]
        if entry & (1 << 62) != 0 { return try decompress(entry) }
        let host = entry & 0x00FF_FFFF_FFFF_FE00
        if header.extendedL2 {
            return try readSubclusters(host: host, bitmap: table[slot + 1], guestOffset: offset)
        }
        if entry & 1 != 0 { return [UInt8](repeating: 0, count: Int(cluster)) }
        guard host != 0 else { return try fromBacking(offset, count: Int(cluster)) }
        return try Self.pread(descriptor, count: Int(cluster), at: host, path: path, fileSize: fileSize)
    }

    private func readSubclusters(host: UInt64, bitmap: UInt64, guestOffset: UInt64) throws -> [UInt8] {
        let size = header.clusterSize / 32
        var result = [UInt8](repeating: 0, count: header.clusterSize)
        for sub in 0..<32 {
            if bitmap & (1 << UInt64(32 + sub)) != 0 { continue }
            let piece: [UInt8]
            if bitmap & (1 << UInt64(sub)) != 0 {
                guard host != 0 else { throw QcowError.malformed(path: path, field: "L2 entry", reason: "allocates subclusters of cluster 0") }
                piece = try Self.pread(descriptor, count: size, at: host + UInt64(sub * size), path: path, fileSize: fileSize)
            } else {
                piece = try fromBacking(guestOffset + UInt64(sub * size), count: size)
            }
            result.replaceSubrange(sub * size..<(sub + 1) * size, with: piece)
        }
        return result
    }

    private func fromBacking(_ offset: UInt64, count: Int) throws -> [UInt8] {
        guard let backing else { return [UInt8](repeating: 0, count: count) }
        return try backing.read(at: offset, count: count)
    }

    private func l2Table(at offset: UInt64) throws -> [UInt64] {
        if let table = l2Cache[offset] { return table }
        let bytes = try Self.pread(descriptor, count: header.clusterSize, at: offset, path: path, fileSize: fileSize)
        let reader = BigEndianReader(bytes: bytes)
        let table = (0..<header.clusterSize / 8).map { reader.u64($0 * 8)! }
        if l2Order.count >= Self.l2CacheTables { l2Cache[l2Order.removeFirst()] = nil }
        l2Cache[offset] = table
        l2Order.append(offset)
        return table
    }

    private func decompress(_ entry: UInt64) throws -> [UInt8] {
        let x = 62 - (UInt64(header.clusterBits) - 8)
        let hostOffset = entry & ((1 << x) - 1)
        let sectors = ((entry >> x) & ((1 << (62 - x)) - 1)) + 1
        let length = Int(min(sectors * 512 - (hostOffset & 511), fileSize > hostOffset ? fileSize - hostOffset : 0))
        guard length > 0 else { throw QcowError.malformed(path: path, field: "compressed cluster", reason: "at \(hostOffset) lies beyond the end of the file") }
        let compressed = try Self.pread(descriptor, count: length, at: hostOffset, path: path, fileSize: fileSize)
        var output = [UInt8](repeating: 0, count: header.clusterSize)
        let ok = header.compressionType == 1 ? Self.zstdInflate(compressed, into: &output) : Self.deflateInflate(compressed, into: &output)
        guard ok else { throw QcowError.malformed(path: path, field: "compressed cluster", reason: "at \(hostOffset) does not decompress to one cluster") }
        return output
    }

    static func deflateInflate(_ input: [UInt8], into output: inout [UInt8]) -> Bool {
        var stream = z_stream()
        guard inflateInit2_(&stream, -12, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return false }
        defer { inflateEnd(&stream) }
        let outputCount = output.count
        return input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(outputCount)
                let rc = inflate(&stream, Z_FINISH)
                return (rc == Z_STREAM_END || rc == Z_BUF_ERROR || rc == Z_OK) && stream.avail_out == 0
            }
        }
    }

    static func zstdInflate(_ input: [UInt8], into output: inout [UInt8]) -> Bool {
        let frame = ZSTD_findFrameCompressedSize(input, input.count)
        guard ZSTD_isError(frame) == 0 else { return false }
        let outputCount = output.count
        let written = output.withUnsafeMutableBytes { ZSTD_decompress($0.baseAddress, outputCount, input, frame) }
        return ZSTD_isError(written) == 0 && written == outputCount
    }

    static func pread(_ descriptor: Int32, count: Int, at offset: UInt64, path: String, fileSize: UInt64 = .max) throws -> [UInt8] {
        guard offset <= fileSize, UInt64(count) <= fileSize - offset || fileSize == .max else {
            throw QcowError.malformed(path: path, field: "cluster offset", reason: "\(offset) + \(count) lies beyond the end of the file")
        }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { Foundation.pread(descriptor, $0.baseAddress! + filled, count - filled, off_t(offset) + off_t(filled)) }
            if got < 0 { throw QcowError.unreadable(path: path, reason: String(cString: strerror(errno))) }
            if got == 0 { break }
            filled += got
        }
        return bytes
    }
}
