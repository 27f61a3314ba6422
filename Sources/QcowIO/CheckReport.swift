/// What `check` found in an image's metadata, counted as `qemu-img check` counts it.
public struct CheckReport: Sendable, Codable, Equatable {
    public var path: String
    /// Structures that are wrong: a refcount below the references to its cluster, a table or cluster
    /// outside the file or misaligned, a wrong COPIED flag, a bad compressed descriptor.
    public var corruptions: Int
    /// Clusters whose refcount is above the references to them: wasted space, no harm to data.
    public var leaks: Int
    /// The first 100 problems, one sentence each.
    public var problems: [String]
    /// Guest clusters that hold data (stored or compressed), of `totalClusters`.
    public var allocatedClusters: UInt64
    public var compressedClusters: UInt64
    public var totalClusters: UInt64
    /// The file's length.
    public var imageEndOffset: UInt64

    /// `qemu-img check`'s exit status: 0 clean, 2 corruptions, 3 leaks only.
    public var exitCode: Int32 { corruptions > 0 ? 2 : leaks > 0 ? 3 : 0 }
}
