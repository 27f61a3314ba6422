public import Foundation
public import Reporting

/// Output formats `convert` writes.
public enum OutputFormat: String, Sendable, Codable, CaseIterable {
    case qcow2, raw
    /// A gzip stream of the raw disk (what DigitalOcean imports).
    case rawGzip = "raw.gz"
}

/// How qcow2 clusters are compressed.
public enum ClusterCompression: String, Sendable, Codable, CaseIterable {
    /// Raw deflate with a 4 KiB window, as qemu writes (compression type zlib, read by every qemu).
    case deflate
    /// zstd frames (compression type zstd; needs qemu 5.1 or later to read).
    case zstd
}

/// What `convert` writes.
public struct ConvertOptions: Sendable, Equatable {
    public var format: OutputFormat
    /// qcow2 only; nil stores clusters as they are.
    public var compression: ClusterCompression?
    /// qcow2 cluster size: a power of two from 512 bytes to 2 MiB.
    public var clusterSize: Int
    /// Threads that compress: two per core by default, so that compression keeps every core busy while
    /// a thread reads or writes, and keeps its share of a machine that is busy with other work.
    public var threads: Int
    /// Read the input's backing files wherever they lie (absolute paths, outside its folder, devices);
    /// by default only regular files inside the input's folder are read.
    public var allowBacking: Bool

    /// Options for `convert`; the defaults write an uncompressed qcow2 with 64 KiB clusters.
    public init(format: OutputFormat = .qcow2, compression: ClusterCompression? = nil, clusterSize: Int = 65536,
                threads: Int = 2 * ProcessInfo.processInfo.activeProcessorCount, allowBacking: Bool = false) {
        self.format = format
        self.compression = compression
        self.clusterSize = clusterSize
        self.threads = threads
        self.allowBacking = allowBacking
    }
}

/// What `convert` wrote.
public struct ConvertResult: Sendable, Codable, Equatable {
    public var input: String
    public var output: String
    public var inputFormat: ImageFormat
    public var outputFormat: OutputFormat
    public var compression: ClusterCompression?
    public var clusterSize: Int?
    public var virtualSize: UInt64
    /// The output file's length and the bytes it occupies on disk.
    public var fileSize: UInt64
    public var actualSize: UInt64
    public var seconds: Double
}

/// Converts the image at `input` (format detected by content) to `output`. The output is written to a
/// temporary name in its folder, flushed to disk and renamed when complete (so a crash never leaves part of
/// it under its name); on error or cancellation it is removed and the input is never touched. Compression runs on `options.threads` threads; memory stays bounded (a few
/// MiB per thread plus the L1 table) whatever the image size.
/// - Parameter progress: called from the reading thread after each chunk with `.bytes`: the step (`copying`,
///   then `finishing`) and the guest bytes read of the virtual size.
/// - Throws: `QcowError` for unreadable or malformed input, a backing file `options` do not allow, or bad
///   options; `FileWriteError` naming `output` when it cannot be written (`.noSpace` for a full disk);
///   `CancellationError` when the task is cancelled.
public func convert(
    from input: URL, to output: URL, options: ConvertOptions = ConvertOptions(),
    progress: ProgressHandler? = nil
) async throws -> ConvertResult {
    let cancellation = CancellationFlag()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            // Blocking reads, writes and compression stay off the cooperative pool.
            Thread {
                continuation.resume(with: Result {
                    try Conversion(input: input, output: output, options: options, cancellation: cancellation, progress: progress).run()
                })
            }.start()
        }
    } onCancel: {
        cancellation.cancel()
    }
}
