import Crypto
public import Foundation
import Reporting

/// The image an SBOM describes.
public struct DescribedImage: Sendable {
    /// The image's name, its file name without extension (`redis-dib-2026-12-07`).
    public var name: String
    /// The version of the database it holds (`8.0`), if any.
    public var version: String?
    /// `debian` or `ubuntu`: whose packages it holds (the package URLs' namespace).
    public var distribution: String
    /// The release they come from (`trixie`).
    public var release: String

    public init(name: String, version: String?, distribution: String, release: String) {
        self.name = name
        self.version = version
        self.distribution = distribution
        self.release = release
    }
}

extension SPDXDocument {
    /// The SBOM of `image`: the document describes the image, which contains each of `packages` with its version,
    /// supplier (the maintainer), source package, package URL and the license its copyright file declares
    /// (NOASSERTION where the file is not machine-readable). The same arguments give the same document:
    /// its namespace is derived from them, not drawn at random.
    /// - Parameter created: the document's creation time (`SOURCE_DATE_EPOCH` for a reproducible build).
    public init(image: DescribedImage, packages: [InstalledPackage], created: Date) {
        var licenses = LicenseTranslator()
        var ids: Set<String> = []
        let distribution = image.distribution.prefix(1).uppercased() + image.distribution.dropFirst()
        let debs = packages.map { package in
            Package(
                name: package.name, spdxID: Self.uniqueID(for: package, among: &ids), versionInfo: package.version,
                supplier: package.maintainer.map(Self.supplier) ?? "NOASSERTION",
                licenseDeclared: package.licenses.flatMap { licenses.declared($0, source: package.source) } ?? "NOASSERTION",
                sourceInfo: "built from the \(distribution) source package \(package.source) \(package.sourceVersion)",
                externalRefs: [ExternalReference(referenceLocator: Self.packageURL(package, of: image))])
        }
        let imageID = "SPDXRef-image"
        let imagePackage = Package(name: image.name, spdxID: imageID, versionInfo: image.version, licenseDeclared: "NOASSERTION")
        let createdText = created.formatted(.iso8601)
        self.init(
            name: image.name, documentNamespace: Self.namespace(image: image, packages: packages, created: createdText),
            creationInfo: CreationInfo(created: createdText, creators: ["Tool: dibkit-\(dibkitVersion)"]),
            packages: [imagePackage] + debs,
            relationships: [Relationship(spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: imageID)]
                + debs.map { Relationship(spdxElementId: imageID, relationshipType: "CONTAINS", relatedSpdxElement: $0.spdxID) },
            hasExtractedLicensingInfos: licenses.references.values.sorted { $0.licenseId < $1.licenseId })
    }

    /// The document as dibkit writes it: indented, keys sorted, so that the same document is the same bytes.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// `SPDXRef-deb-NAME-ARCH`, characters SPDX does not allow in an identifier (`+`) as `-`, and a number
    /// added when another package already has it.
    private static func uniqueID(for package: InstalledPackage, among ids: inout Set<String>) -> String {
        let base = "SPDXRef-deb-" + String("\(package.name)-\(package.architecture)".map {
            $0.isASCII && ($0.isLetter || $0.isNumber || $0 == ".") ? $0 : "-"
        })
        var (id, number) = (base, 1)
        while ids.contains(id) {
            number += 1
            id = "\(base)-\(number)"
        }
        ids.insert(id)
        return id
    }

    /// `Organization: NAME (ADDRESS)` from Debian's `NAME <ADDRESS>`.
    private static func supplier(_ maintainer: String) -> String {
        guard let open = maintainer.lastIndex(of: "<"), maintainer.hasSuffix(">") else { return "Organization: \(maintainer)" }
        let name = maintainer[..<open].trimmingCharacters(in: .whitespaces)
        return "Organization: \(name) (\(maintainer[maintainer.index(after: open)..<maintainer.index(before: maintainer.endIndex)]))"
    }

    /// `pkg:deb/debian/NAME@VERSION?arch=ARCH&distro=RELEASE`, each part percent-encoded as package URLs want.
    private static func packageURL(_ package: InstalledPackage, of image: DescribedImage) -> String {
        "pkg:deb/\(image.distribution)/\(percentEncoded(package.name))@\(percentEncoded(package.version))"
            + "?arch=\(percentEncoded(package.architecture))&distro=\(percentEncoded(image.release))"
    }

    /// `https://dibkit.invalid/spdx/NAME-HASH`, the hash of the image, its packages and the creation time.
    private static func namespace(image: DescribedImage, packages: [InstalledPackage], created: String) -> String {
        let lines = [image.name, image.version ?? "", image.distribution, image.release, created]
            + packages.map { "\($0.name) \($0.architecture) \($0.version)" }
        let hash = SHA256.hash(data: Data(lines.joined(separator: "\n").utf8)).map { String(format: "%02x", $0) }.joined()
        return "https://dibkit.invalid/spdx/\(percentEncoded(image.name))-\(hash)"
    }

    /// `text` with every byte but letters, digits, `.`, `-`, `_`, `~` and `:` as `%XX`.
    private static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_~:")) ?? text
    }
}
