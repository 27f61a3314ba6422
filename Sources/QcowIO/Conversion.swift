internal import DurableFiles
internal import Foundation
internal import Reporting

/// One conversion, synchronous: opens the input, picks the sink for the output format, streams the guest
/// through the ordered pipeline into a temporary file, and publishes it (flushed, renamed, folder flushed)
/// when complete.
struct Conversion {
    let input: URL
    let output: URL
    let options: ConvertOptions
    let cancellation: CancellationFlag
    let progress: ProgressHandler?
    var publisher = FilePublisher()

    func run() throws -> ConvertResult {
        let started = ContinuousClock.now
        try validate()
        let format = try ImageFormat.detect(at: input)
        let reader = try openImage(input, allowingAnyBacking: options.allowBacking)
        try refuseOverwritingInput()
        let temporary = output.deletingLastPathComponent()
            .appendingPathComponent(".\(output.lastPathComponent).\(getpid()).\(UUID().uuidString.prefix(8)).partial")
        do {
            let file = try ImageFile(creatingAt: temporary.path, reportedAs: output.path)
            let sink: any ConversionSink = switch options.format {
            case .qcow2: try Qcow2Sink(file: file, virtualSize: reader.virtualSize, options: options)
            case .raw: RawSink(file: file, virtualSize: reader.virtualSize)
            case .rawGzip: try GzipSink(file: file, workers: options.threads)
            }
            try copy(reader, into: sink)
            report("finishing", reader.virtualSize, of: reader.virtualSize)
            try sink.finish()
            let status = try file.status()
            try publisher.publish(temporary, as: output)
            return ConvertResult(
                input: input.path, output: output.path, inputFormat: format, outputFormat: options.format,
                compression: options.format == .qcow2 ? options.compression : nil,
                clusterSize: options.format == .qcow2 ? options.clusterSize : nil, virtualSize: reader.virtualSize,
                fileSize: status.size, actualSize: status.allocated, seconds: (ContinuousClock.now - started).inSeconds)
        } catch {
            unlink(temporary.path)
            throw error
        }
    }

    private func validate() throws {
        if options.compression != nil, options.format != .qcow2 {
            throw QcowError.invalidRequest("compression (-c) applies to qcow2 output only; raw is never compressed and raw.gz is always gzip")
        }
        let size = options.clusterSize
        guard size.nonzeroBitCount == 1, (512...(2 << 20)).contains(size) else {
            throw QcowError.invalidRequest("cluster size \(size) is not a power of two from 512 bytes to 2 MiB (e.g. 65536 or 64K)")
        }
    }

    private func refuseOverwritingInput() throws {
        var inputStatus = stat(), outputStatus = stat()
        guard stat(input.path, &inputStatus) == 0, stat(output.path, &outputStatus) == 0 else { return }
        if inputStatus.st_dev == outputStatus.st_dev, inputStatus.st_ino == outputStatus.st_ino {
            throw QcowError.invalidRequest("\(output.path) is the input image itself; write the output to another file")
        }
    }

    private func copy(_ reader: any GuestReader, into sink: any ConversionSink) throws {
        let chunks = GuestChunks(reader: reader, chunkSize: sink.chunkSize)
        // Compression uses every thread it is given. A plain copy uses two: one reads (and looks for zero
        // clusters) while the other writes, which overlaps the two system calls' page-cache copies; more
        // threads than that only hand chunks around.
        let compresses = options.compression != nil || options.format == .rawGzip
        let workers = compresses ? max(1, options.threads) : 2
        try OrderedPipeline.run(
            workers: workers, window: 2 * workers + 2,
            produce: {
                try cancellation.check()
                let chunk = try chunks.next()
                if let chunk { report("copying", chunk.offset + UInt64(chunk.length), of: reader.virtualSize) }
                return chunk
            },
            transform: { chunk, worker in try sink.transform(chunk, worker: worker) },
            consume: { output in
                try sink.consume(output)
                chunks.recycle(output.chunk)
            })
    }

    private func report(_ step: String, _ done: UInt64, of total: UInt64) {
        progress?(.bytes(step: step, done: done, total: total))
    }
}

/// Where a conversion's chunks go. `transform` runs on several threads at once (each with its own
/// `worker` index); `consume` and `finish` run one at a time, `consume` in chunk order.
protocol ConversionSink {
    var chunkSize: Int { get }
    func transform(_ chunk: GuestChunk, worker: Int) throws -> SinkOutput
    func consume(_ output: SinkOutput) throws
    func finish() throws
}

/// A transformed chunk: the chunk itself (its buffer is recycled after `consume`) and what to write.
struct SinkOutput {
    var chunk: GuestChunk
    /// Byte ranges of the chunk, or of `encoded`, to write, with what each is.
    var pieces: [Piece]
    /// Bytes the transform made (compressed clusters, a gzip segment).
    var encoded: [UInt8]

    struct Piece {
        enum Source { case chunk, encoded }
        var source: Source
        var range: Range<Int>
        /// The guest cluster for qcow2, else 0.
        var cluster: UInt64 = 0
        var compressed = false
    }
}
