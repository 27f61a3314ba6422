public import Foundation
public import Reporting

extension Manifest {
    /// A manifest as `dibkit build` writes one, for tests that read manifests of images never built.
    public static func sample(
        name: String, database: String?, version: String? = nil, ports: [Int] = [], elements: [String] = [],
        virtualSize: UInt64 = 3 << 30
    ) -> Manifest {
        Manifest(
            name: name, database: database,
            databaseVersion: version.map { .init(version: $0, source: "distro", edition: nil, vendorPackage: nil, vendorPackageSHA256: nil) },
            loginUser: "dibkit", authorizedKeys: 0, ports: ports, elements: elements, release: "bookworm", arch: "amd64",
            mirror: "http://mirror.invalid/debian", format: "qcow2", compression: "deflate", packages: [], sha256: String(repeating: "ab", count: 32),
            sizes: .init(image: 1, virtual: virtualSize, rootfs: 1), phases: [], baseRootFromCache: false,
            created: Date(timeIntervalSince1970: 1_795_000_000), dibkitVersion: Reporting.dibkitVersion)
    }

    /// Writes this manifest beside `image` (`NAME.json`).
    public func write(beside image: URL) throws {
        try Manifest.encoder.encode(self).write(to: Manifest.url(beside: image))
    }
}
