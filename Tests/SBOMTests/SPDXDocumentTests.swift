import Foundation
@testable import SBOM
import TestSupport
import Testing

@Suite("The image's SBOM: an SPDX 2.3 document that spdx-tools finds valid, the same bytes for the same input")
struct SPDXDocumentTests {
    static let created = Date(timeIntervalSince1970: 1_796_637_600)
    static let image = DescribedImage(name: "redis-dib-2026-12-07", version: "8.0", distribution: "debian", release: "trixie")

    @Test("the document describes the image, which contains each package with version, supplier, source, purl and declared license")
    func fields() throws {
        let packages = try PackageTree.packages()
        let document = SPDXDocument(image: Self.image, packages: packages, created: Self.created)
        #expect(document.name == "redis-dib-2026-12-07" && document.spdxVersion == "SPDX-2.3")
        #expect(document.creationInfo.created == "2026-12-07T10:00:00Z")
        #expect(document.creationInfo.creators.count == 1 && document.creationInfo.creators[0].hasPrefix("Tool: dibkit-"))
        #expect(document.documentNamespace.hasPrefix("https://dibkit.invalid/spdx/redis-dib-2026-12-07-"))
        let image = document.packages[0]
        #expect(image.spdxID == "SPDXRef-image" && image.name == "redis-dib-2026-12-07" && image.versionInfo == "8.0")
        #expect(document.packages.dropFirst().map(\.name) == packages.map(\.name))

        let redis = try #require(document.packages.first { $0.name == "redis-server" })
        #expect(redis == SPDXDocument.Package(
            name: "redis-server", spdxID: "SPDXRef-deb-redis-server-amd64", versionInfo: "5:8.0.2-3+b1",
            supplier: "Organization: Chris Lamb (lamby@debian.org)",
            licenseDeclared: "LicenseRef-redis-license AND BSD-3-Clause AND BSD-2-Clause AND MIT",
            sourceInfo: "built from the Debian source package redis 5:8.0.2-3",
            externalRefs: [.init(referenceLocator: "pkg:deb/debian/redis-server@5:8.0.2-3%2Bb1?arch=amd64&distro=trixie")]))
        let declared = Dictionary(uniqueKeysWithValues: document.packages.map { ($0.name, $0.licenseDeclared) })
        #expect(declared["libstdc++6"] == "NOASSERTION" && declared["base-files"] == "NOASSERTION")
        #expect(declared["libfoo-dev"] == "(GPL-2.0-or-later OR LicenseRef-Artistic) AND LicenseRef-public-domain")
        #expect(declared["shell-docs"] == "LicenseRef-GPL-3-plus-with-OpenSSL-exception")
        #expect(document.packages.first { $0.name == "libstdc++6" }?.spdxID == "SPDXRef-deb-libstdc--6-amd64")
        #expect(document.packages.first { $0.name == "shell-docs" }?.supplier == "NOASSERTION")
        #expect(document.packages.first { $0.name == "libfoo-dev" }?.supplier == "Organization: Foo Team")

        #expect(document.relationships.first == .init(spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: "SPDXRef-image"))
        #expect(document.relationships.dropFirst().map(\.relatedSpdxElement) == document.packages.dropFirst().map(\.spdxID))
        #expect(document.relationships.dropFirst().allSatisfy { $0.spdxElementId == "SPDXRef-image" && $0.relationshipType == "CONTAINS" })
        #expect(document.hasExtractedLicensingInfos.map(\.licenseId)
            == ["LicenseRef-Artistic", "LicenseRef-GPL-3-plus-with-OpenSSL-exception", "LicenseRef-public-domain", "LicenseRef-redis-license"])
        #expect(document.hasExtractedLicensingInfos.last?.extractedText.hasPrefix("Licensed under your choice of (a) the Redis") == true)
    }

    @Test("spdx-tools validates the written document, and reads back what was written")
    func validates() throws {
        let folder = try TemporaryFolder()
        let document = SPDXDocument(image: Self.image, packages: try PackageTree.packages(), created: Self.created)
        let file = folder.appendingPathComponent("redis-dib-2026-12-07.spdx.json")
        try document.encoded().write(to: file)
        let result = try TestVenv.validateSPDX(file)
        #expect(result.status == 0 && result.output.isEmpty, "\(result.output)")
        #expect(try JSONDecoder().decode(SPDXDocument.self, from: Data(contentsOf: file)) == document)
    }

    @Test("every SPDX license and exception identifier the translation gives is one spdx-tools knows")
    func everyIdentifierValidates() throws {
        let licenses = LicenseNames.everySPDXID.sorted().map { [$0] }
            + LicenseNames.everyException.map { ["GPL-2.0-or-later WITH \($0)"] }
        let packages = licenses.enumerated().map { index, license in
            InstalledPackage(
                name: "package\(index)", version: "1", architecture: "all", maintainer: nil, source: "package\(index)",
                sourceVersion: "1", licenses: license)
        }
        let document = SPDXDocument(image: Self.image, packages: packages, created: Self.created)
        #expect(document.packages.dropFirst().map(\.licenseDeclared) == licenses.map { $0[0] }, "each identifier maps to itself")
        let folder = try TemporaryFolder()
        let file = folder.appendingPathComponent("identifiers.spdx.json")
        try document.encoded().write(to: file)
        let result = try TestVenv.validateSPDX(file)
        #expect(result.status == 0 && result.output.isEmpty, "\(result.output)")
    }

    @Test("the same packages and time give the same bytes; other packages or another time another namespace")
    func deterministic() throws {
        let packages = try PackageTree.packages()
        let first = try SPDXDocument(image: Self.image, packages: packages, created: Self.created).encoded()
        let again = try SPDXDocument(image: Self.image, packages: try PackageTree.packages(), created: Self.created)
            .encoded()
        #expect(first == again)
        let namespace = SPDXDocument(image: Self.image, packages: packages, created: Self.created).documentNamespace
        #expect(SPDXDocument(image: Self.image, packages: Array(packages.dropLast()), created: Self.created).documentNamespace != namespace)
        #expect(SPDXDocument(image: Self.image, packages: packages, created: Self.created + 1).documentNamespace != namespace)
    }

    @Test("an Ubuntu image's packages have Ubuntu's package URLs and source")
    func ubuntu() throws {
        let image = DescribedImage(name: "redis-dib", version: nil, distribution: "ubuntu", release: "noble")
        let document = SPDXDocument(image: image, packages: try PackageTree.packages(), created: Self.created)
        let redis = try #require(document.packages.first { $0.name == "redis-server" })
        #expect(redis.externalRefs?.first?.referenceLocator == "pkg:deb/ubuntu/redis-server@5:8.0.2-3%2Bb1?arch=amd64&distro=noble")
        #expect(redis.sourceInfo == "built from the Ubuntu source package redis 5:8.0.2-3")
        #expect(document.packages[0].versionInfo == nil)
    }
}
