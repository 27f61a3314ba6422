/// The steps of an upload, in order.
public enum UploadPhase: String, Sendable, Codable, CaseIterable {
    /// Token, regions and Space checked against the live services.
    case checking
    /// The image converted to the smaller of deflate-compressed qcow2 and gzip'd raw.
    case preparing
    /// The file sent to the Space by multipart upload, and checked as DigitalOcean will fetch it.
    case staging
    /// `POST /v2/images`, then waiting for `available`.
    case importing
    /// Transfer actions to the extra regions.
    case copying
    /// The cloud firewall created or updated.
    case firewall
    /// The staged object deleted.
    case cleaning
}

/// What an upload did.
public struct DigitalOceanUploadResult: Sendable, Codable, Equatable {
    public struct Staged: Sendable, Codable, Equatable {
        /// `qcow2` or `raw.gz`: whichever was smaller.
        public var format: String
        public var bytes: UInt64
        /// The other format's size, when it was made to compare.
        public var otherFormatBytes: UInt64?
        /// The URL DigitalOcean fetched.
        public var url: String
        /// Whether the object was left in the Space (`--keep-staged`).
        public var kept: Bool
        /// Staging throughput: bytes over the multipart upload's seconds.
        public var bytesPerSecond: Double
    }

    public struct Firewall: Sendable, Codable, Equatable {
        public var id: String
        public var name: String
        public var tag: String
        public var ports: [Int]
        public var sources: [String]
        /// `created` or `updated`.
        public var action: String
    }

    public var imageID: Int
    public var name: String
    public var distribution: String
    public var status: String
    /// Every region the image is available in.
    public var regions: [String]
    public var minDiskSizeGB: Int?
    public var staged: Staged
    public var firewall: Firewall?
    /// Seconds per phase, by `UploadPhase` name.
    public var seconds: [String: Double]
}
