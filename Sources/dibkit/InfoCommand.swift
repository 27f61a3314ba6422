import ArgumentParser
import Foundation
import QcowIO

extension Dibkit {
    /// `dibkit info IMAGE`: format, sizes, cluster size, compression and backing of an image.
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an image's format (by content), virtual and actual size, cluster size, compression, backing.")

        @Argument(help: "The image file.")
        var image: String

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() throws {
            let result: ImageInfo
            do { result = try QcowIO.info(of: URL(fileURLWithPath: image)) } catch { throw CommandFailure(error, json: json) }
            if json {
                try printJSON(result)
                return
            }
            print("image: \(image)")
            print("format: \(result.format.rawValue)" + (result.version.map { " (version \($0))" } ?? ""))
            print("virtual size: \(result.virtualSize) bytes")
            print("actual size: \(result.actualSize) bytes")
            if let cluster = result.clusterSize { print("cluster size: \(cluster)") }
            if let compression = result.compressionType { print("compression type: \(compression)") }
            if result.extendedL2 == true { print("extended L2 entries: yes") }
            if let backing = result.backingFile {
                print("backing file: \(backing)" + (result.backingFormat.map { " (format \($0))" } ?? ""))
            }
        }
    }
}
