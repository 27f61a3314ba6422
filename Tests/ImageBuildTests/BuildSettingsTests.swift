import Elements
import Foundation
import ImageBuild
import TestSupport
import Testing

@Suite("build: what the command line asks becomes a configuration (nothing is built)")
struct BuildSettingsTests {
    @Test("output names follow diskimage-builder's -o: bare names under images/, paths as given")
    func outputNames() {
        let images = URL(fileURLWithPath: "/repo/images")
        let day = ISO8601DateFormatter().date(from: "2026-11-24T12:00:00Z")!
        #expect(BuildConfiguration.outputURL(name: nil, database: "redis", source: "dib", format: .qcow2, imagesDirectory: images, date: day).path
            == "/repo/images/redis-dib-2026-11-24.qcow2")
        #expect(BuildConfiguration.outputURL(name: "mine", database: "redis", source: "dib", format: .raw, imagesDirectory: images).path
            == "/repo/images/mine.raw")
        #expect(BuildConfiguration.outputURL(name: "/tmp/x/mine.qcow2", database: "redis", source: "dib", format: .qcow2, imagesDirectory: images).path
            == "/tmp/x/mine.qcow2")
    }

    @Test("the database first, then extra elements; the environment gives the source, cache and hooks' variables")
    func configuration() throws {
        var settings = BuildSettings(elements: ["redis", "my-element"])
        settings.output = "custom"
        settings.format = .raw
        settings.diskSize = 4 << 30
        settings.mirror = "http://mirror.invalid/debian"
        settings.securityMirror = "none"
        settings.edition = .community
        let environment = [
            "DIBKIT_CACHE_DIR": "/var/cache/x", "DIB_RELEASE_NOTE": "n", "DIBKIT_GUEST_AGENT": "trove", "HOME": "/root",
            "TMPDIR": "/scratch", "DIBKIT_USER_NAMESPACE": "1",
        ]
        let configuration = try BuildConfiguration(settings, environment: environment, currentDirectory: URL(fileURLWithPath: "/repo"))
        #expect(configuration.elements == ["redis", "my-element"])
        #expect(configuration.output.path == "/repo/images/custom.raw")
        #expect(configuration.manifestURL.path == "/repo/images/custom.json" && configuration.sbomURL.path == "/repo/images/custom.spdx.json")
        #expect(configuration.sourceDate == nil)
        #expect(configuration.format == .raw && configuration.diskSize == 4 << 30 && configuration.edition == .community)
        #expect(configuration.mirror == "http://mirror.invalid/debian" && configuration.securityMirror == nil)
        #expect(configuration.cacheDirectory.path == "/var/cache/x" && configuration.temporaryDirectory.path == "/scratch")
        #expect(configuration.extraEnvironment == ["DIB_RELEASE_NOTE": "n", "DIBKIT_GUEST_AGENT": "trove", "DIBKIT_CACHE_DIR": "/var/cache/x"])
    }

    @Test("the cache's default: DIBKIT_CACHE_DIR, else XDG_CACHE_HOME/dibkit, else HOME/.cache/dibkit (HOME before the password database)",
          arguments: [
              (["DIBKIT_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"], "/c"),
              (["XDG_CACHE_HOME": "/x", "HOME": "/h"], "/x/dibkit"),
              (["XDG_CACHE_HOME": "relative", "HOME": "/h"], "/h/.cache/dibkit"),
              (["HOME": "/home/builder"], "/home/builder/.cache/dibkit"),
          ])
    func defaultCache(environment: [String: String], expected: String) {
        #expect(BuildCache(folder: nil, environment: environment).folder.path == expected)
    }

    @Test("SOURCE_DATE_EPOCH gives the SBOM's time; one that is not a number of seconds is refused before anything starts")
    func sourceDate() throws {
        var settings = BuildSettings(elements: ["redis"])
        settings.mirror = "http://mirror.invalid/debian"
        let here = URL(fileURLWithPath: "/repo")
        let configuration = try BuildConfiguration(settings, environment: ["SOURCE_DATE_EPOCH": "1796637600"], currentDirectory: here)
        #expect(configuration.sourceDate == Date(timeIntervalSince1970: 1_796_637_600))
        for bad in ["", "yesterday", "-1", "1.5"] {
            #expect(throws: BuildError.badSourceDate(bad)) {
                try BuildConfiguration(settings, environment: ["SOURCE_DATE_EPOCH": bad], currentDirectory: here)
            }
        }
        #expect(BuildError.badSourceDate("x").isBadInput)
    }

    @Test("a private key given as -k is refused before anything starts")
    func privateKey() throws {
        let folder = try TemporaryFolder()
        let key = folder.appendingPathComponent("id")
        try Data("-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n".utf8).write(to: key)
        var settings = BuildSettings(elements: ["redis"])
        settings.mirror = "http://mirror.invalid/debian"
        settings.authorizedKeys = key
        #expect(throws: ElementError.self) {
            try BuildConfiguration(settings, environment: [:], currentDirectory: folder.url)
        }
    }
}
