/// An SPDX 2.3 document in its JSON form (spdx.github.io/spdx-spec/v2.3): the fields dibkit writes.
public struct SPDXDocument: Codable, Sendable, Equatable {
    public var spdxVersion = "SPDX-2.3"
    /// The license of the document itself, which SPDX fixes.
    public var dataLicense = "CC0-1.0"
    public var spdxID = "SPDXRef-DOCUMENT"
    public var name: String
    /// A URI naming this document and no other.
    public var documentNamespace: String
    public var creationInfo: CreationInfo
    public var packages: [Package]
    public var relationships: [Relationship]
    /// The `LicenseRef-` identifiers the packages' licenses use, with their texts.
    public var hasExtractedLicensingInfos: [ExtractedLicense]

    /// When and by what the document was made.
    public struct CreationInfo: Codable, Sendable, Equatable {
        /// UTC, to the second: `2026-12-07T10:00:00Z`.
        public var created: String
        /// `Tool: dibkit-VERSION`.
        public var creators: [String]
    }

    /// A package: the image, or a Debian package in it. `NOASSERTION` is SPDX's "not said".
    public struct Package: Codable, Sendable, Equatable {
        public var name: String
        public var spdxID: String
        public var versionInfo: String?
        /// `Organization: NAME (ADDRESS)`, or `NOASSERTION`.
        public var supplier: String?
        public var downloadLocation = "NOASSERTION"
        /// False: the SBOM lists packages, not their files.
        public var filesAnalyzed = false
        public var licenseConcluded = "NOASSERTION"
        /// An SPDX license expression, or `NOASSERTION`.
        public var licenseDeclared: String
        public var copyrightText = "NOASSERTION"
        /// Where the package comes from: its source package and version.
        public var sourceInfo: String?
        public var externalRefs: [ExternalReference]?

        enum CodingKeys: String, CodingKey {
            case name, spdxID = "SPDXID", versionInfo, supplier, downloadLocation, filesAnalyzed, licenseConcluded,
                 licenseDeclared, copyrightText, sourceInfo, externalRefs
        }
    }

    /// A reference outside the document; dibkit writes package URLs (`pkg:deb/debian/NAME@VERSION?arch=ARCH`).
    public struct ExternalReference: Codable, Sendable, Equatable {
        public var referenceCategory = "PACKAGE-MANAGER"
        public var referenceType = "purl"
        public var referenceLocator: String
    }

    /// `spdxElementId relationshipType relatedSpdxElement`, e.g. the image `CONTAINS` a package.
    public struct Relationship: Codable, Sendable, Equatable {
        public var spdxElementId: String
        public var relationshipType: String
        public var relatedSpdxElement: String
    }

    /// A license SPDX has no identifier for, under the `LicenseRef-` the document gives it.
    public struct ExtractedLicense: Codable, Sendable, Equatable {
        public var licenseId: String
        public var name: String
        public var extractedText: String
    }

    enum CodingKeys: String, CodingKey {
        case spdxVersion, dataLicense, spdxID = "SPDXID", name, documentNamespace, creationInfo, packages, relationships,
             hasExtractedLicensingInfos
    }
}
