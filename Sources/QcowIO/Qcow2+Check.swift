public import Foundation

/// Checks the qcow2 image at `url` as `qemu-img check` does: rebuilds every host cluster's reference count
/// from the header, L1/L2 tables and refcount structures, and compares it with the stored refcounts.
/// Memory grows with the clusters the image's tables and refcounts name (counters in chunks made on first
/// use), never with the file's length or values in its header: a sparse 1 TiB file costs what its metadata does.
/// - Throws: `QcowError` when the check cannot run: unreadable file, a header too broken to walk, or
///   features it does not walk (internal snapshots, persistent bitmaps).
public func check(_ url: URL) throws -> CheckReport {
    var checker = try Qcow2Checker(url: url)
    return try checker.run()
}

/// One run of `check`.
private struct Qcow2Checker {
    let file: ImageFile
    let header: Qcow2.Header
    let fileSize: UInt64
    let cluster: UInt64
    let fileClusters: Int
    var references = ClusterCounters()
    var stored = ClusterCounters()
    var report: CheckReport

    init(url: URL) throws {
        file = try ImageFile(readingAt: url.path)
        fileSize = try file.size()
        header = try Qcow2.Header.parse(try file.readBytes(count: Int(min(fileSize, 2 << 20)), at: 0), fileSize: fileSize, path: url.path)
        guard header.snapshotCount == 0 else { throw QcowError.unsupported(path: url.path, feature: "checking images with internal snapshots") }
        guard header.autoclearFeatures & 1 == 0 else { throw QcowError.unsupported(path: url.path, feature: "checking images with persistent bitmaps") }
        cluster = UInt64(header.clusterSize)
        fileClusters = Int((fileSize + cluster - 1) / cluster)
        let guestClusters = (header.size + cluster - 1) / cluster
        report = CheckReport(path: url.path, corruptions: 0, leaks: 0, problems: [], allocatedClusters: 0,
                             compressedClusters: 0, totalClusters: guestClusters, imageEndOffset: fileSize)
    }

    mutating func run() throws -> CheckReport {
        try loadRefcounts()
        reference(0, length: cluster, what: "the header")
        reference(header.l1TableOffset, length: UInt64(header.l1Size) * 8, what: "the L1 table")
        try walkL1()
        compare()
        return report
    }

    private mutating func problem(_ text: String, leak: Bool = false) {
        if leak { report.leaks += 1 } else { report.corruptions += 1 }
        if report.problems.count < 100 { report.problems.append(text) }
    }

    /// Whether `length` bytes at `offset` lie inside the file.
    private func inside(_ offset: UInt64, _ length: UInt64) -> Bool { offset <= fileSize && length <= fileSize - offset }

    /// Counts one reference to every host cluster `length` bytes at `offset` touch.
    private mutating func reference(_ offset: UInt64, length: UInt64, what: String) {
        guard length > 0 else { return }
        guard inside(offset, length) || (offset < fileSize && (offset + length - 1) / cluster < UInt64(fileClusters)) else {
            return problem("\(what) at \(offset) (+\(length) bytes) lies beyond the end of the file (\(fileSize) bytes)")
        }
        for index in Int(offset / cluster)...Int((offset + length - 1) / cluster) {
            references[index] = references[index] &+ (references[index] == .max ? 0 : 1)
        }
    }

    /// Reads the refcount table and blocks into `stored`.
    private mutating func loadRefcounts() throws {
        let tableLength = UInt64(header.refcountTableClusters) * cluster
        reference(header.refcountTableOffset, length: tableLength, what: "the refcount table")
        let table = try file.readBytes(count: Int(tableLength), at: header.refcountTableOffset)
        let bits = 1 << Int(header.refcountOrder)
        let perBlock = header.clusterSize * 8 / bits
        var block = [UInt8](repeating: 0, count: header.clusterSize)
        for index in 0..<table.count / 8 {
            let entry = table.withUnsafeBytes { $0.bigEndianWord(index) }
            let offset = entry & ~0x1FF
            if entry & 0x1FF != 0 { problem("refcount table entry \(index) has reserved bits set (0x\(String(entry, radix: 16)))") }
            guard offset != 0 else { continue }
            guard offset % cluster == 0, inside(offset, cluster) else {
                problem("refcount block \(index) at \(offset) is not a whole cluster inside the file")
                continue
            }
            reference(offset, length: cluster, what: "refcount block \(index)")
            try block.withUnsafeMutableBytes { try file.read(into: $0, at: offset) }
            let first = index * perBlock
            guard first < fileClusters else { continue }
            block.withUnsafeBytes { raw in
                for slot in 0..<min(perBlock, fileClusters - first) {
                    let count = UInt16(clamping: Self.refcount(raw, slot: slot, bits: bits))
                    if count != 0 { stored[first + slot] = count }
                }
            }
        }
    }

    /// Entry `slot` of a refcount block with `bits`-wide entries (bit 0 the least significant).
    static func refcount(_ block: UnsafeRawBufferPointer, slot: Int, bits: Int) -> UInt64 {
        if bits >= 8 {
            let bytes = bits / 8
            return (0..<bytes).reduce(0) { $0 << 8 | UInt64(block[slot * bytes + $1]) }
        }
        let bit = slot * bits
        return UInt64(block[bit / 8] >> UInt8(bit % 8)) & ((1 << UInt64(bits)) - 1)
    }

    private mutating func walkL1() throws {
        let l1 = try file.readBytes(count: Int(header.l1Size) * 8, at: header.l1TableOffset)
        var walked = Set<UInt64>()
        var table = [UInt8](repeating: 0, count: header.clusterSize)
        for index in 0..<Int(header.l1Size) {
            let entry = l1.withUnsafeBytes { $0.bigEndianWord(index) }
            let offset = entry & Qcow2.offsetMask
            if entry & ~(Qcow2.offsetMask | Qcow2.copied) != 0 { problem("L1 entry \(index) has reserved bits set") }
            guard offset != 0 else { continue }
            guard offset % cluster == 0, inside(offset, cluster) else {
                problem("L1 entry \(index): L2 table at \(offset) is not a whole cluster inside the file")
                continue
            }
            reference(offset, length: cluster, what: "L2 table \(index)")
            checkCopied(entry, at: offset, what: "L1 entry \(index)")
            guard walked.insert(offset).inserted else { continue }
            try table.withUnsafeMutableBytes { try file.read(into: $0, at: offset) }
            table.withUnsafeBytes { walkL2($0, l1Index: index) }
        }
    }

    private mutating func walkL2(_ table: UnsafeRawBufferPointer, l1Index: Int) {
        let width = header.extendedL2 ? 2 : 1
        for slot in 0..<header.clusterSize / 8 / width {
            let entry = table.bigEndianWord(slot * width)
            let place = "L2 table \(l1Index) entry \(slot)"
            if entry & Qcow2.compressed != 0 {
                report.allocatedClusters += 1
                report.compressedClusters += 1
                if entry & Qcow2.copied != 0 { problem("\(place): compressed cluster with the COPIED flag") }
                if width == 2, table.bigEndianWord(slot * 2 + 1) != 0 { problem("\(place): compressed cluster with a subcluster bitmap") }
                let descriptor = Qcow2.CompressedDescriptor(entry: entry, clusterBits: header.clusterBits)
                reference(descriptor.hostOffset, length: UInt64(descriptor.length), what: "\(place): compressed cluster")
                continue
            }
            let reserved: UInt64 = header.version >= 3 && width == 1 ? 0x1FE : 0x1FF
            if entry & (reserved | 0x3F00_0000_0000_0000) != 0 { problem("\(place) has reserved bits set") }
            let host = entry & Qcow2.offsetMask
            guard host != 0 else { continue }
            report.allocatedClusters += 1
            guard host % cluster == 0 else {
                problem("\(place): cluster offset \(host) is not cluster-aligned")
                continue
            }
            reference(host, length: cluster, what: "\(place): data cluster")
            checkCopied(entry, at: host, what: place)
        }
    }

    /// The COPIED flag must be set exactly when the stored refcount is 1.
    private mutating func checkCopied(_ entry: UInt64, at offset: UInt64, what: String) {
        let index = Int(offset / cluster)
        guard index < fileClusters else { return }
        if (entry & Qcow2.copied != 0) != (stored[index] == 1) {
            problem("\(what): COPIED flag is \(entry & Qcow2.copied != 0 ? "set" : "clear") but the refcount of cluster \(index) is \(stored[index])")
        }
    }

    private mutating func compare() {
        for index in ClusterCounters.indices(of: stored, references) where stored[index] != references[index] {
            let (count, used) = (stored[index], references[index])
            if count < used {
                problem("cluster \(index) (offset \(UInt64(index) * cluster)) has refcount \(count) but \(used) references")
            } else {
                problem("leaked cluster \(index) (offset \(UInt64(index) * cluster)): refcount \(count), \(used) references", leak: true)
            }
        }
    }
}

/// 16-bit counters, one a host cluster, kept in chunks made when a counter first becomes non-zero: memory
/// follows the clusters counted, not the file's length.
struct ClusterCounters {
    private static let chunkLength = 256
    private var chunks: [Int: [UInt16]] = [:]

    subscript(index: Int) -> UInt16 {
        get { chunks[index / Self.chunkLength]?[index % Self.chunkLength] ?? 0 }
        set {
            let (chunk, slot) = index.quotientAndRemainder(dividingBy: Self.chunkLength)
            if chunks[chunk] == nil {
                guard newValue != 0 else { return }
                chunks[chunk] = [UInt16](repeating: 0, count: Self.chunkLength)
            }
            chunks[chunk]![slot] = newValue
        }
    }

    /// In increasing order, every index either of `counters` may hold a non-zero count at.
    static func indices(of counters: ClusterCounters...) -> [Int] {
        Set(counters.flatMap(\.chunks.keys)).sorted().flatMap { $0 * chunkLength..<($0 + 1) * chunkLength }
    }
}
