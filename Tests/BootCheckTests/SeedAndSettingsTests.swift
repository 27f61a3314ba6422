import Foundation
import QcowIO
import Reporting
import TestSupport
import Testing
import HostProcesses

@testable import BootCheck

@Suite("NoCloud seed, user-data, manifest, image format")
struct SeedAndSettingsTests {
    @Test(
        "the seed ISO is labelled cidata and holds user-data and meta-data",
        .enabled(if: hasSeedTools, "needs cloud-localds and isoinfo"))
    func seedISO() async throws {
        let directory = try TemporaryFolder()
        let iso = directory.url.appendingPathComponent("seed.iso")
        let settings = DatabaseSettings(kind: .redis, port: 6390, password: "pw123")
        try await NoCloudSeed.make(
            iso: iso, userData: Data(settings.userData.utf8), instanceID: "i-test42", in: directory.url)
        let volume = try await isoinfo(["-d", "-i", iso.path], in: directory)
        #expect(volume.contains("Volume id: cidata"))
        let listing = try await isoinfo(["-R", "-f", "-i", iso.path], in: directory)
        #expect(listing.split(separator: "\n").sorted() == ["/meta-data", "/user-data"])
        let meta = try await isoinfo(["-R", "-i", iso.path, "-x", "/meta-data"], in: directory)
        #expect(meta.contains("instance-id: i-test42"))
        let user = try await isoinfo(["-R", "-i", iso.path, "-x", "/user-data"], in: directory)
        #expect(user == settings.userData)
        for name in ["user-data", "meta-data", "seed.iso"] {
            let mode = try FileManager.default.attributesOfItem(atPath: directory.url.appendingPathComponent(name).path)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(name) holds the user-data's passwords: mode \(String(mode ?? 0, radix: 8))")
        }
    }

    @Test("the seed's user-data is never written through a link planted in its folder")
    func seedRefusesALink() async throws {
        let directory = try TemporaryFolder()
        let elsewhere = directory.url.appendingPathComponent("elsewhere")
        try Data("untouched".utf8).write(to: elsewhere)
        try FileManager.default.createSymbolicLink(
            at: directory.url.appendingPathComponent("user-data"), withDestinationURL: elsewhere)
        await #expect(throws: BootCheckError.self) {
            try await NoCloudSeed.make(
                iso: directory.url.appendingPathComponent("seed.iso"), userData: Data("#cloud-config\n".utf8),
                instanceID: "i-test43", in: directory.url)
        }
        #expect(try String(contentsOf: elsewhere, encoding: .utf8) == "untouched")
    }

    private func isoinfo(_ arguments: [String], in directory: TemporaryFolder) async throws -> String {
        let log = directory.url.appendingPathComponent("isoinfo.out")
        try await ChildProcess.run("isoinfo", arguments, log: log)
        return try String(contentsOf: log, encoding: .utf8)
    }

    @Test("generated user-data asks for a port other than the image's and reads back to the same settings",
          arguments: DatabaseKind.allCases)
    func userDataRoundTrip(kind: DatabaseKind) throws {
        let directory = try TemporaryFolder()
        let settings = DatabaseSettings.random(kind: kind)
        #expect(settings.port == kind.imagePort + 1)
        #expect(settings.user == (kind.speaksRESP ? nil : "dibkit_test") && settings.database == settings.user)
        let file = directory.url.appendingPathComponent("user-data")
        try Data(settings.userData.utf8).write(to: file)
        #expect(settings.userData.hasPrefix("#cloud-config\ndibkit:\n  \(kind.rawValue):\n"))
        #expect(try DatabaseSettings.read(userData: file, kind: kind) == settings)
    }

    @Test("a generated password holds a space, both quotes, a backslash, $, #, a backtick and a colon")
    func generatedPasswordIsAwkward() {
        let passwords = Set((0..<4).map { _ in DatabaseSettings.random(kind: .redis).password })
        #expect(passwords.count == 4)
        for password in passwords {
            #expect(password.count >= 24)
            #expect(" '\"\\$#`:".allSatisfy(password.contains), "\(password)")
        }
    }

    @Test("generated user-data gives the image's first boot (PyYAML) the exact password")
    func userDataReadsBackInPyYAML() async throws {
        let directory = try TemporaryFolder()
        let settings = DatabaseSettings(kind: .postgresql, port: 5433, password: "a \"b\" 'c' \\d $e #f `g` h:i ½ \\",
                                        user: "u1", database: "d1")
        let file = directory.url.appendingPathComponent("user-data")
        try Data(settings.userData.utf8).write(to: file)
        let output = directory.url.appendingPathComponent("password")
        let script = "import sys, yaml; document = yaml.safe_load(open(sys.argv[1], encoding='utf-8')); "
            + "open(sys.argv[2], 'w', encoding='utf-8').write(document['dibkit']['postgresql']['password'])"
        try await ChildProcess.run("python3", ["-c", script, file.path, output.path],
                                   log: directory.url.appendingPathComponent("log"))
        #expect(try String(contentsOf: output, encoding: .utf8) == settings.password)
        #expect(try DatabaseSettings.read(userData: file, kind: .postgresql) == settings)
    }

    @Test("user-data written by hand: flow style, extra keys, the image's default port, user and database")
    func userDataByHand() throws {
        let directory = try TemporaryFolder()
        let file = directory.url.appendingPathComponent("user-data")
        try Data(("#cloud-config\nusers: [default]\ndibkit: {redis: {password: 12345, maxmemory: 256mb}, "
            + "postgresql: {password: pw12345678, user: app}, mariadb: {password: x2345678}}\n").utf8).write(to: file)
        #expect(try DatabaseSettings.read(userData: file, kind: .redis)
            == DatabaseSettings(kind: .redis, port: 6379, password: "12345"))
        #expect(try DatabaseSettings.read(userData: file, kind: .postgresql)
            == DatabaseSettings(kind: .postgresql, port: 5432, password: "pw12345678", user: "app", database: "app"))
        #expect(try DatabaseSettings.read(userData: file, kind: .mariadb)
            == DatabaseSettings(kind: .mariadb, port: 3306, password: "x2345678", user: "dibkit", database: "dibkit"))
    }

    @Test("user-data without a password or with a bad port is refused with the key named")
    func userDataErrors() throws {
        let directory = try TemporaryFolder()
        let file = directory.url.appendingPathComponent("user-data")
        try Data("#cloud-config\ndibkit:\n  redis:\n    port: 6380\n".utf8).write(to: file)
        #expect(throws: BootCheckError.badUserData(path: file.path, message: "`dibkit.redis.password` is missing")) {
            try DatabaseSettings.read(userData: file, kind: .redis)
        }
        try Data("#cloud-config\ndibkit:\n  redis:\n    port: 99999\n    password: x\n".utf8).write(to: file)
        let badPort = BootCheckError.badUserData(path: file.path, message: "`dibkit.redis.port` is 99999, not a port")
        #expect(throws: badPort) {
            try DatabaseSettings.read(userData: file, kind: .redis)
        }
        try Data("#cloud-config\npackages: [htop]\n".utf8).write(to: file)
        #expect(throws: BootCheckError.self) { try DatabaseSettings.read(userData: file, kind: .redis) }
    }

    @Test("user-data that is not YAML is refused with line, column and problem, never the line's text")
    func userDataYAMLErrorHidesTheLine() throws {
        let directory = try TemporaryFolder()
        let file = directory.url.appendingPathComponent("user-data")
        try Data("#cloud-config\ndibkit:\n  redis: {port: 6380, password: s3cret-in-flow: x}\n".utf8).write(to: file)
        #expect { try DatabaseSettings.read(userData: file, kind: .redis) } throws: { error in
            let text = "\(error)"
            return !text.contains("s3cret") && text.contains(file.path) && text.contains("line 3, column")
        }
    }

    @Test("the database is read from the image's manifest")
    func manifest() throws {
        let directory = try TemporaryFolder()
        let image = directory.url.appendingPathComponent("redis-dib-2026-11-24.qcow2")
        #expect(try DatabaseKind.fromManifest(of: image) == nil)
        try Manifest.sample(name: "redis-dib-2026-11-24", database: "redis").write(beside: image)
        #expect(try DatabaseKind.fromManifest(of: image) == .redis)
        try Manifest.sample(name: "redis-dib-2026-11-24", database: "mongodb").write(beside: image)
        #expect(throws: BootCheckError.self) { try DatabaseKind.fromManifest(of: image) }
        try Data(#"{"database": "redis"}"#.utf8).write(to: Manifest.url(beside: image))
        #expect(throws: BootCheckError.self, "a file that is not a dibkit manifest") { try DatabaseKind.fromManifest(of: image) }
    }

    @Test("qcow2 and raw are told apart by content, not by name", .enabled(if: hasQemu, "needs qemu-img"))
    func formatDetection() async throws {
        let directory = try TemporaryFolder()
        let qcow = directory.url.appendingPathComponent("disk.raw")
        try await ChildProcess.run("qemu-img", ["create", "-f", "qcow2", qcow.path, "16M"],
            log: directory.url.appendingPathComponent("log"))
        #expect(try BootRun.format(of: qcow) == .qcow2)
        let raw = directory.url.appendingPathComponent("disk.qcow2")
        try TestDisk.silent.write(to: raw)
        #expect(try BootRun.format(of: raw) == .raw)
        #expect(throws: BootCheckError.self) { try BootRun.format(of: directory.url.appendingPathComponent("none")) }
    }
}

@Suite("User-data and manifests for the SQL databases")
struct SQLSettingsTests {
    @Test("generated user-data for the SQL databases names user and database")
    func sqlUserData() {
        let settings = DatabaseSettings(kind: .mariadb, port: 3307, password: "pw", user: "u1", database: "d1")
        #expect(settings.userData
            == "#cloud-config\ndibkit:\n  mariadb:\n    port: 3307\n    password: \"pw\"\n    user: u1\n    database: d1\n")
        let quoted = DatabaseSettings(kind: .redis, port: 6380, password: "a \"b\" \\c")
        #expect(quoted.userData == "#cloud-config\ndibkit:\n  redis:\n    port: 6380\n    password: \"a \\\"b\\\" \\\\c\"\n")
    }

    @Test("the manifest's database picks the probe; mongodb has none yet", arguments: ["postgresql", "mariadb", "mysql"])
    func manifest(name: String) throws {
        let directory = try TemporaryFolder()
        let image = directory.url.appendingPathComponent("\(name)-dib-2026-11-26.qcow2")
        try Manifest.sample(name: "\(name)-dib-2026-11-26", database: name).write(beside: image)
        let kind = try #require(try DatabaseKind.fromManifest(of: image))
        #expect(kind.rawValue == name)
        let expected = ObjectIdentifier(name == "postgresql" ? PostgreSQLProbe.self : MariaDBProbe.self)
        #expect(ObjectIdentifier(type(of: kind.probe)) == expected)
    }
}
