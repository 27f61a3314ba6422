/// Appends to a file front to back through one staging buffer, so the file is written in large sequential
/// writes whatever the size of each append.
final class SequentialWriter {
    private let file: ImageFile
    private var staging: UnsafeMutableRawBufferPointer
    private var staged = 0
    private var flushedEnd: UInt64
    /// The file offset the next append lands at.
    var position: UInt64 { flushedEnd + UInt64(staged) }

    init(file: ImageFile, startingAt offset: UInt64 = 0, stagingBytes: Int = 8 << 20) {
        self.file = file
        flushedEnd = offset
        staging = .allocate(byteCount: stagingBytes, alignment: 4096)
    }

    deinit { staging.deallocate() }

    /// Appends `bytes`; appends of 1 MiB or more go straight to the file (after what is staged).
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        if bytes.count >= 1 << 20 {
            try flush()
            try file.write(bytes, at: flushedEnd)
            flushedEnd += UInt64(bytes.count)
            return
        }
        var rest = bytes
        while !rest.isEmpty {
            let take = min(rest.count, staging.count - staged)
            UnsafeMutableRawBufferPointer(rebasing: staging[staged..<staged + take]).copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[..<take]))
            staged += take
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
            if staged == staging.count { try flush() }
        }
    }

    func append(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try append($0) } }

    /// Appends `count` zero bytes.
    func appendZeros(_ count: Int) throws {
        var rest = count
        while rest > 0 {
            let take = min(rest, staging.count - staged)
            (staging.baseAddress! + staged).initializeMemory(as: UInt8.self, repeating: 0, count: take)
            staged += take
            rest -= take
            if staged == staging.count { try flush() }
        }
    }

    /// Writes what is staged.
    func flush() throws {
        guard staged > 0 else { return }
        try file.write(UnsafeRawBufferPointer(rebasing: staging[..<staged]), at: flushedEnd)
        flushedEnd += UInt64(staged)
        staged = 0
    }
}
