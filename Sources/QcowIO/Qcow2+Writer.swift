/// Writes a qcow2 version 3 image front to back from guest clusters given in increasing order: clusters
/// never given read as zeros. Data is appended as it comes; each L2 table follows the guest range it maps
/// and each refcount block the host range it counts; the L1 table, the refcount table and the header are
/// written at the end. Memory: one L2 table, one refcount block, the L1 table and the staging buffer.
final class Qcow2Writer {
    let clusterSize: Int
    let clusterBits: UInt32
    let virtualSize: UInt64
    let compression: ClusterCompression?
    private let file: ImageFile
    private let output: SequentialWriter
    private var l1: [UInt64]
    private var l2: [UInt64]
    private var l2Index: Int?
    private var nextGuestCluster: UInt64 = 0
    private var refcounts: Qcow2.RefcountStream
    /// Refcount block offsets by block index, for the refcount table.
    private var refcountBlocks: [UInt64] = []
    private var finishedBlocks: [(index: UInt64, bytes: [UInt8])] = []

    /// Starts an image in `file` (empty): reserves the header cluster. The disk size is rounded up to whole
    /// 512-byte sectors, as qemu sees disks.
    /// - Throws: `QcowError.invalidRequest` when the cluster size is not a power of two in 512 B…2 MiB or
    ///   the L1 table would exceed qemu's 32 MiB limit (a larger cluster size fixes that).
    init(file: ImageFile, virtualSize: UInt64, clusterSize: Int, compression: ClusterCompression?) throws {
        guard clusterSize.nonzeroBitCount == 1, (512...(2 << 20)).contains(clusterSize) else {
            throw QcowError.invalidRequest("cluster size \(clusterSize) is not a power of two from 512 bytes to 2 MiB")
        }
        self.file = file
        self.clusterSize = clusterSize
        clusterBits = UInt32(clusterSize.trailingZeroBitCount)
        let virtualSize = (virtualSize + 511) / 512 * 512
        self.virtualSize = virtualSize
        self.compression = compression
        let guestPerL2 = UInt64(clusterSize) * UInt64(clusterSize / 8)
        let l1Entries = (virtualSize + guestPerL2 - 1) / guestPerL2
        guard l1Entries * 8 <= Qcow2.maximumL1Bytes else {
            throw QcowError.invalidRequest("a \(virtualSize)-byte disk with \(clusterSize)-byte clusters needs an L1 table over qemu's 32 MiB limit; use a larger --cluster-size")
        }
        l1 = [UInt64](repeating: 0, count: Int(l1Entries))
        l2 = [UInt64](repeating: 0, count: clusterSize / 8)
        refcounts = Qcow2.RefcountStream(clusterSize: clusterSize)
        output = SequentialWriter(file: file)
        _ = try allocateClusters(1)
        try output.appendZeros(clusterSize)
    }

    /// Stores guest clusters `first`, `first + 1`, … as they are; `bytes` holds whole clusters. Clusters
    /// mapped by one L2 table are written with one append.
    func appendClusters(from first: UInt64, bytes: UnsafeRawBufferPointer) throws {
        precondition(bytes.count % clusterSize == 0, "clusters are stored whole")
        let perTable = UInt64(l2.count)
        var index = first, done = 0
        while done < bytes.count {
            let count = Int(min(UInt64((bytes.count - done) / clusterSize), perTable - index % perTable))
            try selectL2(for: index + UInt64(count) - 1, from: index)
            let host = try allocateClusters(count)
            try output.append(UnsafeRawBufferPointer(rebasing: bytes[done..<done + count * clusterSize]))
            for step in 0..<count {
                l2[Int((index + UInt64(step)) % perTable)] = (host + UInt64(step * clusterSize)) | Qcow2.copied
            }
            try writeFinishedBlocks()
            index += UInt64(count)
            done += count * clusterSize
        }
    }

    /// Stores guest cluster `index` as `bytes`, the compressed form of the whole cluster (shorter than it), packed right
    /// after the previous compressed cluster.
    func appendCompressed(_ index: UInt64, bytes: UnsafeRawBufferPointer) throws {
        precondition(bytes.count < clusterSize, "a compressed cluster must be shorter than a cluster")
        try selectL2(for: index)
        let cluster = UInt64(clusterSize)
        var start = output.position
        // A host cluster's refcount is the number of compressed clusters in it: keep it within 16 bits.
        if start % cluster != 0, refcounts.count(of: start / cluster) == .max { try padToCluster() }
        start = output.position
        let last = (start + UInt64(bytes.count) - 1) / cluster
        for host in start / cluster...last { finishedBlocks += refcounts.reference(host) }
        let descriptor = Qcow2.CompressedDescriptor(hostOffset: start, length: bytes.count)
        guard let entry = descriptor.entry(clusterBits: clusterBits) else {
            throw QcowError.invalidRequest("the image outgrew the offsets compressed clusters can address with \(clusterSize)-byte clusters")
        }
        try output.append(bytes)
        l2[Int(index % UInt64(l2.count))] = entry
        try writeFinishedBlocks()
    }

    /// Writes the last L2 table, the L1 table, the refcount table and blocks, then the header.
    func finish() throws {
        try flushL2()
        let l1Bytes = l1.bigEndianBytes
        let l1Offset = try allocateClusters(clustersFor(l1Bytes.count))
        try output.append(l1Bytes)
        try output.appendZeros(clustersFor(l1Bytes.count) * clusterSize - l1Bytes.count)
        try writeFinishedBlocks()
        let (tableOffset, tableClusters) = try writeRefcountTail()
        try output.flush()
        let header = Qcow2.Header.forWriter(
            clusterBits: clusterBits, size: virtualSize, l1Size: UInt32(l1.count), l1TableOffset: l1Offset,
            refcountTableOffset: tableOffset, refcountTableClusters: UInt32(tableClusters),
            compressionType: compression == .zstd ? 1 : 0)
        try header.encoded().withUnsafeBytes { try file.write($0, at: 0) }
    }

    /// The final refcount table and blocks. With E clusters used, the current block b, P clusters per
    /// block: T table clusters and K blocks must cover E + T + K clusters, so iterate to the fixed point.
    private func writeRefcountTail() throws -> (offset: UInt64, clusters: Int) {
        try padToCluster()
        let cluster = UInt64(clusterSize)
        let used = output.position / cluster
        let perBlock = refcounts.entriesPerBlock
        let current = refcounts.block
        var blocks: UInt64 = 1, tableClusters = UInt64(clustersFor(Int(current + 1) * 8))
        while true {
            let total = (used + tableClusters + blocks + perBlock - 1) / perBlock
            let (newBlocks, newTable) = (total - current, UInt64(clustersFor(Int(total) * 8)))
            if newBlocks == blocks, newTable == tableClusters { break }
            (blocks, tableClusters) = (max(blocks, newBlocks), max(tableClusters, newTable))
        }
        var tail: [(index: UInt64, bytes: [UInt8])] = []
        for host in used..<used + tableClusters + blocks { tail += refcounts.reference(host) }
        tail.append((refcounts.block, refcounts.encoded()))
        precondition(tail.count == Int(blocks) && tail.first?.index == current, "refcount tail layout")
        let firstBlock = (used + tableClusters) * cluster
        var table = refcountBlocks
        table += (0..<Int(blocks)).map { firstBlock + UInt64($0) * cluster }
        let tableBytes = table.bigEndianBytes
        try output.append(tableBytes)
        try output.appendZeros(Int(tableClusters) * clusterSize - tableBytes.count)
        for block in tail { try output.append(block.bytes) }
        return (used * cluster, Int(tableClusters))
    }

    private func clustersFor(_ bytes: Int) -> Int { max(1, (bytes + clusterSize - 1) / clusterSize) }

    /// Makes the L2 table for guest clusters `first`…`last` (one table's range) current, writing the
    /// previous one.
    private func selectL2(for last: UInt64, from first: UInt64? = nil) throws {
        guard (first ?? last) >= nextGuestCluster, last * UInt64(clusterSize) < virtualSize else {
            preconditionFailure("guest clusters must be appended once each, in order, inside the disk")
        }
        nextGuestCluster = last + 1
        let table = Int(last / UInt64(l2.count))
        if l2Index != table {
            try flushL2()
            l2Index = table
        }
    }

    private func flushL2() throws {
        guard let index = l2Index else { return }
        let offset = try allocateClusters(1)
        try output.append(l2.bigEndianBytes)
        l1[index] = offset | Qcow2.copied
        l2 = [UInt64](repeating: 0, count: l2.count)
        l2Index = nil
        try writeFinishedBlocks()
    }

    /// Takes `count` whole clusters at the end of the file; the caller appends their bytes next.
    private func allocateClusters(_ count: Int) throws -> UInt64 {
        try padToCluster()
        let start = output.position
        let first = start / UInt64(clusterSize)
        for host in first..<first + UInt64(count) { finishedBlocks += refcounts.reference(host) }
        return start
    }

    private func padToCluster() throws {
        let remainder = Int(output.position % UInt64(clusterSize))
        if remainder != 0 { try output.appendZeros(clusterSize - remainder) }
    }

    /// Writes refcount blocks whose range is behind the writer; each takes a cluster at the end.
    private func writeFinishedBlocks() throws {
        while !finishedBlocks.isEmpty {
            let block = finishedBlocks.removeFirst()
            let offset = try allocateClusters(1)
            try output.append(block.bytes)
            while refcountBlocks.count < Int(block.index) { refcountBlocks.append(0) }
            refcountBlocks.append(offset)
        }
    }
}
