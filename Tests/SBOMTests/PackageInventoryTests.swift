import Foundation
@testable import SBOM
import TestSupport
import Testing

@Suite("The packages of a root tree, from dpkg's status file and the packages' copyright files")
struct PackageInventoryTests {
    @Test("every installed package (held too, not one with only its configuration left), sorted, with version, architecture, maintainer and source")
    func installedPackages() throws {
        let packages = try PackageTree.packages()
        #expect(packages.map(\.name) == ["base-files", "libfoo-dev", "libstdc++6", "redis-server", "shell-docs"])
        let redis = try #require(packages.first { $0.name == "redis-server" })
        #expect(redis == InstalledPackage(
            name: "redis-server", version: "5:8.0.2-3+b1", architecture: "amd64", maintainer: "Chris Lamb <lamby@debian.org>",
            source: "redis", sourceVersion: "5:8.0.2-3", licenses: [
                "\nLicensed under your choice of (a) the Redis Source Available License 2.0\n(RSALv2); or (b) the Server Side "
                    + "Public License v1 (SSPLv1); or (c) the\nGNU Affero General Public License v3 (AGPLv3).",
                "BSD-3-clause",
                "BSD-2-clause\nRedistribution and use in source and binary forms, with or without\nmodification, are permitted.\n\n"
                    + "THIS SOFTWARE IS PROVIDED BY THE AUTHOR \"AS IS\".",
                "Expat", "BSD-3-clause",
            ]))
        let gcc = try #require(packages.first { $0.name == "libstdc++6" })
        #expect(gcc.source == "gcc-14" && gcc.sourceVersion == "14.2.0-19")
        let base = try #require(packages.first { $0.name == "base-files" })
        #expect(base.source == "base-files" && base.sourceVersion == "13.8")
        #expect(packages.first { $0.name == "shell-docs" }?.maintainer == nil)
    }

    @Test("licenses from machine-readable copyright files only, found through links that stay in the tree")
    func licenses() throws {
        let packages = Dictionary(uniqueKeysWithValues: try PackageTree.packages().map { ($0.name, $0.licenses) })
        #expect(packages["libstdc++6"] == .some(nil), "a free-form copyright file says nothing a program can read")
        #expect(packages["base-files"] == .some(nil), "no copyright file")
        #expect(packages["libfoo-dev"] == ["GPL-2+ or Artistic, and public-domain"], "relative link to libfoo1")
        #expect(packages["shell-docs"] == ["GPL-3+ with OpenSSL exception"], "absolute link, resolved in the tree")
    }

    @Test("a tree without dpkg's status file is an error naming the file")
    func noStatus() throws {
        let folder = try TemporaryFolder()
        #expect(throws: SBOMError.self) { try PackageInventory.read(root: folder.url) }
        do { _ = try PackageInventory.read(root: folder.url) } catch {
            #expect("\(error)".hasPrefix("cannot read dpkg's status file \(folder.url.path)/var/lib/dpkg/status"), "\(error)")
        }
    }
}
