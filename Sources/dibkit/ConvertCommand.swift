public import ArgumentParser
import Foundation
public import QcowIO
import Reporting

extension Dibkit {
    /// `dibkit convert IN OUT`: qcow2 or raw in (by content), qcow2, sparse raw or raw.gz out.
    struct Convert: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Convert an image (qcow2 or raw, told apart by content) to qcow2, sparse raw or raw.gz.",
            discussion: """
                The output appears under its name only when complete; on an error or Ctrl-C nothing is left and \
                the input is never touched. -c alone compresses with deflate (what every qemu reads); zstd is \
                faster but needs qemu 5.1 or later where the image is used. Compression uses every core. A qcow2's \
                backing file is read only when it is a regular file inside the image's folder, unless \
                --allow-backing says the image is trusted.
                """)

        @Argument(help: "The input image (never modified).")
        var input: String

        @Argument(help: "The output file.")
        var output: String

        @Option(name: .customShort("O"), help: ArgumentHelp("Output format: qcow2, raw (sparse) or raw.gz (gzip stream).", valueName: "format"))
        var format: OutputFormat = .qcow2

        @Option(name: .customShort("c"), help: ArgumentHelp("Compress qcow2 clusters: deflate (also when -c has no value) or zstd.", valueName: "algorithm"))
        var compression: ClusterCompression?

        @Option(name: .customLong("cluster-size"), help: ArgumentHelp("qcow2 cluster size, a power of two from 512 to 2M.", valueName: "size"))
        var clusterSize = "64K"

        @Option(help: ArgumentHelp("Threads that compress (default: two per core).", valueName: "n"))
        var threads = ConvertOptions().threads

        @Flag(help: "Read a qcow2's backing file even when it is an absolute path, a device or outside the image's folder (only for images you trust).")
        var allowBacking = false

        @Flag(help: "Print one JSON result object and no progress.")
        var json = false

        func validate() throws {
            guard let size = try? Quantities.bytes(clusterSize), size.nonzeroBitCount == 1, (512...(2 << 20)).contains(size) else {
                throw ValidationError("--cluster-size \(clusterSize) is not a power of two from 512 to 2M (e.g. 64K)")
            }
            guard (1...256).contains(threads) else { throw ValidationError("--threads \(threads) must be 1 to 256") }
            if compression != nil, format != .qcow2 {
                throw ValidationError("-c compresses qcow2 clusters; with -O \(format.rawValue) leave it out")
            }
        }

        func run() async throws {
            let options = ConvertOptions(
                format: format, compression: compression, clusterSize: Int(try Quantities.bytes(clusterSize)), threads: threads,
                allowBacking: allowBacking)
            let (input, output) = (URL(fileURLWithPath: input), URL(fileURLWithPath: output))
            let printer = ProgressPrinter(quiet: json)
            let result: ConvertResult
            do {
                result = try await Interruption.run {
                    try await QcowIO.convert(from: input, to: output, options: options, progress: printer.handle)
                }
            } catch {
                printer.end()
                throw CommandFailure(error, json: json)
            }
            printer.end()
            if json { return try printJSON(result) }
            let detail = [result.outputFormat.rawValue, result.compression?.rawValue, result.clusterSize.map { "\(Quantities.format(bytes: UInt64($0))) clusters" }]
            print("\(result.output): \(detail.compactMap { $0 }.joined(separator: ", ")), \(Quantities.format(bytes: result.fileSize)) "
                + "(\(Quantities.format(bytes: result.virtualSize)) virtual) from \(result.inputFormat.rawValue) in \(String(format: "%.1f", result.seconds)) s")
        }

        /// `-c` may stand alone (meaning deflate) as with qemu-img; ArgumentParser options need a value,
        /// so a bare `-c` in a convert command line gets `deflate` inserted after it.
        static func expandingBareCompression(_ arguments: [String]) -> [String] {
            guard arguments.first == "convert" else { return arguments }
            var result: [String] = []
            for (index, argument) in arguments.enumerated() {
                result.append(argument)
                let next = index + 1 < arguments.count ? arguments[index + 1] : nil
                if argument == "-c", !ClusterCompression.allCases.map(\.rawValue).contains(next ?? "") { result.append("deflate") }
            }
            return result
        }
    }
}

extension OutputFormat: ExpressibleByArgument {}
extension ClusterCompression: ExpressibleByArgument {}
