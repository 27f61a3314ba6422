public import Foundation

/// `images/NAME.json`: what an image holds and how it was made.
public struct Manifest: Codable, Sendable {
    public struct Package: Codable, Sendable, Equatable {
        public let name: String
        public let version: String
    }

    public struct PhaseTiming: Codable, Sendable {
        public let name: String
        public let seconds: Double
    }

    public struct Sizes: Codable, Sendable {
        /// Bytes of the image file.
        public let image: UInt64
        /// The disk's virtual size in bytes.
        public let virtual: UInt64
        /// Bytes of file data in the root tree.
        public let rootfs: UInt64
    }

    public var name: String
    /// The database element the image is for (`redis`…), when there is one.
    public var database: String?
    /// The database's default TCP ports.
    public var ports: [Int]
    public var elements: [String]
    public var release: String
    public var arch: String
    public var mirror: String
    public var format: String
    public var compression: String
    public var packages: [Package]
    public var sha256: String
    public var sizes: Sizes
    public var phases: [PhaseTiming]
    public var accelerator: String
    public var baseRootFromCache: Bool
    public var created: Date
    public var dibkitVersion: String

    /// Reads the manifest beside `image` (`NAME.json` for `NAME.qcow2`).
    public static func beside(_ image: URL) throws -> Manifest {
        let url = image.deletingPathExtension().appendingPathExtension("json")
        return try decoder.decode(Manifest.self, from: Data(contentsOf: url))
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
