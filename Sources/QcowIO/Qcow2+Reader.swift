public import Foundation

/// Reads guest bytes from a qcow2 image: L1/L2 lookup with a bounded L2 cache, zero and unallocated
/// clusters, compressed clusters (deflate, zstd), extended L2 subclusters, and backing files. Reads go
/// straight into the caller's buffer, host-contiguous clusters in one `pread`. Not thread-safe: one reader
/// per thread.
public final class Qcow2Reader {
    public let header: Qcow2.Header
    let file: ImageFile
    let fileSize: UInt64
    let l1: [UInt64]
    let backing: (any GuestReader)?
    private var l2Cache: L2TableCache
    private lazy var compressedScratch = [UInt8](repeating: 0, count: 2 * header.clusterSize + 512)
    private lazy var clusterScratch = [UInt8](repeating: 0, count: header.clusterSize)
    private lazy var deflate = DeflateDecompressor()
    private lazy var zstd = ZstdDecompressor()
    static let maximumChain = 16

    /// Opens `url`; follows its backing chain (at most 16 deep; a loop is an error).
    /// - Parameter allowingAnyBacking: also read backing files that are absolute paths, lie outside the
    ///   naming image's folder (`../x`, a link out of it) or are not regular files (devices). Without it,
    ///   as for an image from anywhere, only regular files inside that folder are read.
    /// - Throws: `QcowError` when the file cannot be read or its header or L1 table is malformed,
    ///   `QcowError.backingRefused` for a backing file it may not read.
    public convenience init(url: URL, allowingAnyBacking: Bool = false) throws {
        try self.init(url: url, allowingAnyBacking: allowingAnyBacking, chain: [])
    }

    init(url: URL, allowingAnyBacking: Bool, chain: [String]) throws {
        let resolved = url.resolvingSymlinksInPath().path
        guard !chain.contains(resolved) else {
            throw QcowError.malformed(path: url.path, field: "backing file", reason: "forms a loop: \((chain + [resolved]).joined(separator: " → "))")
        }
        guard chain.count < Self.maximumChain else {
            throw QcowError.malformed(path: url.path, field: "backing file", reason: "chain is deeper than \(Self.maximumChain)")
        }
        file = try ImageFile(readingAt: url.path)
        fileSize = try file.size()
        let header = try Qcow2.Header.parse(try file.readBytes(count: Int(min(fileSize, 2 << 20)), at: 0), fileSize: fileSize, path: url.path)
        self.header = header
        let table = try file.readBytes(count: Int(header.l1Size) * 8, at: header.l1TableOffset)
        l1 = table.withUnsafeBytes { raw in (0..<Int(header.l1Size)).map { raw.bigEndianWord($0) } }
        l2Cache = L2TableCache(clusterSize: header.clusterSize)
        if let name = header.backingFile {
            let backingURL = allowingAnyBacking
                ? name.hasPrefix("/") ? URL(fileURLWithPath: name) : url.deletingLastPathComponent().appendingPathComponent(name)
                : try Self.backingInsideFolder(name, of: url)
            let format = try header.backingFormat.flatMap(ImageFormat.init(rawValue:)) ?? ImageFormat.detect(at: backingURL)
            backing = format == .qcow2
                ? try Qcow2Reader(url: backingURL, allowingAnyBacking: allowingAnyBacking, chain: chain + [resolved])
                : try RawReader(url: backingURL)
        } else {
            backing = nil
        }
    }

    /// The backing file `name` of the image at `url`, resolved (links followed), when it is a regular file
    /// inside the image's folder, as qemu-img finds a relative name.
    /// - Throws: `QcowError.backingRefused` saying which rule it breaks, `QcowError.unreadable`.
    private static func backingInsideFolder(_ name: String, of url: URL) throws -> URL {
        let refuse = { (reason: String) in QcowError.backingRefused(path: url.path, backingFile: name, reason: reason) }
        guard !name.hasPrefix("/") else { throw refuse("is an absolute path") }
        let folder = url.deletingLastPathComponent().path
        let candidate = folder + "/" + name
        guard let realFolder = realPath(folder) else { throw QcowError.unreadable(path: folder, reason: ImageFile.lastError()) }
        guard let real = realPath(candidate) else { throw QcowError.unreadable(path: candidate, reason: ImageFile.lastError()) }
        guard real.hasPrefix(realFolder == "/" ? "/" : realFolder + "/") else {
            throw refuse("lies outside the image's folder (at \(real))")
        }
        var status = stat()
        guard stat(real, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { throw refuse("is not a regular file (a device?)") }
        return URL(fileURLWithPath: real)
    }

    /// `path` with every link, `.` and `..` resolved (realpath(3)); nil when that fails.
    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    var path: String { file.path }
    var clusterSize: Int { header.clusterSize }

    /// Where a guest cluster's bytes come from.
    enum ClusterMapping: Equatable {
        case zero
        case backing
        case data(host: UInt64)
        case compressed(entry: UInt64)
        case subclusters(host: UInt64, bitmap: UInt64)
    }

    /// Looks up guest cluster `index` in the L1 and L2 tables.
    func mapping(ofCluster index: UInt64) throws -> ClusterMapping {
        let entriesPerL2 = UInt64(clusterSize / (header.extendedL2 ? 16 : 8))
        let l1Index = index / entriesPerL2
        guard l1Index < l1.count, index * UInt64(clusterSize) < header.size else { return .zero }
        let l2Offset = l1[Int(l1Index)] & Qcow2.offsetMask
        guard l2Offset != 0 else { return .backing }
        guard l2Offset % UInt64(clusterSize) == 0, l2Offset <= fileSize, fileSize - l2Offset >= UInt64(clusterSize) else {
            throw QcowError.malformed(path: path, field: "L1 entry \(l1Index)", reason: "points at \(l2Offset), not a whole cluster inside the file (\(fileSize) bytes)")
        }
        let table = try l2Cache.table(at: l2Offset, from: file)
        let slot = Int(index % entriesPerL2) * (header.extendedL2 ? 2 : 1)
        let entry = table[slot]
        if entry & Qcow2.compressed != 0 { return .compressed(entry: entry) }
        let host = entry & Qcow2.offsetMask
        if header.extendedL2 {
            let bitmap = table[slot + 1]
            switch (bitmap & 0xFFFF_FFFF, bitmap >> 32) {
            case (0, 0xFFFF_FFFF): return .zero
            case (0, 0): return .backing
            default: return .subclusters(host: host, bitmap: bitmap)
            }
        }
        if entry & Qcow2.zeroFlag != 0, header.version >= 3 { return .zero }
        return host == 0 ? .backing : .data(host: host)
    }

    /// Fills `buffer` with guest bytes from `offset`; past the disk's end reads as zeros.
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws {
        let cluster = UInt64(clusterSize)
        var done = 0
        while done < buffer.count {
            let position = offset + UInt64(done)
            let target = UnsafeMutableRawBufferPointer(rebasing: buffer[done...])
            guard position < header.size else {
                target.initializeMemory(as: UInt8.self, repeating: 0)
                return
            }
            let within = position % cluster
            let limit = min(UInt64(target.count), header.size - position)
            var take = Int(min(cluster - within, limit))
            let index = position / cluster
            switch try mapping(ofCluster: index) {
            case .zero:
                UnsafeMutableRawBufferPointer(rebasing: target[..<take]).initializeMemory(as: UInt8.self, repeating: 0)
            case .backing:
                try readBacking(at: position, into: UnsafeMutableRawBufferPointer(rebasing: target[..<take]))
            case .data(let host):
                // Extend over following clusters stored right after this one: one pread for the run.
                var next = index + 1
                while UInt64(take) < limit, try mapping(ofCluster: next) == .data(host: host + (next - index) * cluster) {
                    take = Int(min(UInt64(take) + cluster, limit))
                    next += 1
                }
                try readHost(at: host + within, into: UnsafeMutableRawBufferPointer(rebasing: target[..<take]))
            case .compressed(let entry):
                if within == 0, take == clusterSize {
                    try decompress(entry, into: UnsafeMutableRawBufferPointer(rebasing: target[..<take]))
                } else {
                    try clusterScratch.withUnsafeMutableBytes { scratch in
                        try decompress(entry, into: scratch)
                        UnsafeMutableRawBufferPointer(rebasing: target[..<take]).copyMemory(from: UnsafeRawBufferPointer(rebasing: scratch[Int(within)..<Int(within) + take]))
                    }
                }
            case .subclusters(let host, let bitmap):
                try readSubclusters(host: host, bitmap: bitmap, clusterStart: position - within, within: Int(within),
                                    into: UnsafeMutableRawBufferPointer(rebasing: target[..<take]))
            }
            done += take
        }
    }

    private func readSubclusters(host: UInt64, bitmap: UInt64, clusterStart: UInt64, within: Int, into target: UnsafeMutableRawBufferPointer) throws {
        let size = clusterSize / 32
        var done = 0
        while done < target.count {
            let inCluster = within + done
            let sub = inCluster / size
            let take = min(target.count - done, (sub + 1) * size - inCluster)
            let piece = UnsafeMutableRawBufferPointer(rebasing: target[done..<done + take])
            if bitmap & (1 << UInt64(32 + sub)) != 0 {
                piece.initializeMemory(as: UInt8.self, repeating: 0)
            } else if bitmap & (1 << UInt64(sub)) != 0 {
                guard host != 0 else { throw QcowError.malformed(path: path, field: "L2 entry", reason: "allocates subclusters at host offset 0") }
                try readHost(at: host + UInt64(inCluster), into: piece)
            } else {
                try readBacking(at: clusterStart + UInt64(inCluster), into: piece)
            }
            done += take
        }
    }

    private func readBacking(at offset: UInt64, into target: UnsafeMutableRawBufferPointer) throws {
        guard let backing else {
            target.initializeMemory(as: UInt8.self, repeating: 0)
            return
        }
        try backing.read(at: offset, into: target)
    }

    private func readHost(at offset: UInt64, into target: UnsafeMutableRawBufferPointer) throws {
        guard offset <= fileSize, UInt64(target.count) <= fileSize - offset else {
            throw QcowError.malformed(path: path, field: "cluster offset", reason: "\(offset) + \(target.count) lies beyond the end of the file (\(fileSize) bytes)")
        }
        try file.read(into: target, at: offset)
    }

    private func decompress(_ entry: UInt64, into target: UnsafeMutableRawBufferPointer) throws {
        let descriptor = Qcow2.CompressedDescriptor(entry: entry, clusterBits: header.clusterBits)
        let hostOffset = descriptor.hostOffset
        guard hostOffset < fileSize else {
            throw QcowError.malformed(path: path, field: "compressed cluster", reason: "at \(hostOffset) lies beyond the end of the file (\(fileSize) bytes)")
        }
        let length = Int(min(UInt64(descriptor.length), fileSize - hostOffset))
        let ok = try compressedScratch.withUnsafeMutableBytes { scratch in
            let compressed = UnsafeMutableRawBufferPointer(rebasing: scratch[..<length])
            try file.read(into: compressed, at: hostOffset)
            return header.compressionType == 1
                ? zstd.decompress(UnsafeRawBufferPointer(compressed), into: target)
                : deflate.decompress(UnsafeRawBufferPointer(compressed), into: target)
        }
        guard ok else { throw QcowError.malformed(path: path, field: "compressed cluster", reason: "at \(hostOffset) does not decompress to one cluster") }
    }
}
