import Foundation
import Reporting
import TestSupport
import Testing

@testable import DigitalOcean
import S3

/// Input errors found before any network work: the URLs point at a closed port, so a request that got
/// past validation would fail differently.
@Suite("Upload requests checked offline")
struct RequestValidationTests {
    static let closed = URL(string: "http://127.0.0.1:9")!

    static func request(_ image: URL, _ change: (inout DigitalOceanUploadRequest) -> Void = { _ in }) -> DigitalOceanUploadRequest {
        var request = DigitalOceanUploadRequest(
            image: image, region: "nyc3", space: "my-space", name: "redis-test", apiURL: closed, spacesEndpoint: closed,
            token: Secret("dop_v1_token"), spacesCredentials: .init(accessKeyID: "KEYID", secretAccessKey: "SECRET"))
        change(&request)
        return request
    }

    typealias Change = @Sendable (inout DigitalOceanUploadRequest) -> Void

    static let refusals: [(String, Change, String)] = [
        ("xyz1 region", { $0.region = "xyz1" }, "unknown region xyz1"),
        ("region without Spaces", { $0.region = "nyc1" }, "nyc1 has no Spaces to stage the image in; use --region with one of"),
        ("unknown extra region", { $0.extraRegions = ["fra1", "mars1"] }, "unknown region mars1 in --regions"),
        ("extra region repeats the import region", { $0.extraRegions = ["nyc3"] }, "--regions lists nyc3"),
        ("bad Space name", { $0.space = "My_Space" }, "--space My_Space is not a Space name"),
        ("unknown distribution", { $0.distribution = "Debain" }, "--distribution Debain is not one DigitalOcean knows"),
        ("bad tag", { $0.tags = ["ok", "not ok"] }, "tag \"not ok\" is not valid"),
        ("no token", { $0.token = Secret("") }, "set DIGITALOCEAN_ACCESS_TOKEN or pass --token-file"),
        ("no Spaces secret", { $0.spacesCredentials = .init(accessKeyID: "KEYID", secretAccessKey: "") }, "set SPACES_ACCESS_KEY_ID and SPACES_SECRET_ACCESS_KEY"),
        ("firewall without sources", { $0.firewall = FirewallRequest(tag: "db", ports: [6379], sources: []) }, "--firewall needs --allow CIDR"),
        ("firewall with a bad CIDR", { $0.firewall = FirewallRequest(tag: "db", ports: [6379], sources: ["10.0.0.0/33"]) }, "--allow 10.0.0.0/33 is not"),
        ("firewall with a bad port", { $0.firewall = FirewallRequest(tag: "db", ports: [70000], sources: ["10.0.0.1"]) }, "port 70000"),
        ("zero timeout", { $0.timeout = .zero }, "--timeout must be more than zero"),
    ]

    @Test("each bad input is refused with a message saying what to do", arguments: refusals)
    func refused(name: String, change: Change, message: String) throws {
        let image = try TestImage(size: 2 << 20, randomBytes: 4096)
        defer { image.remove() }
        let error = #expect(throws: DigitalOceanError.self) { try Self.request(image.qcow2, change).validate() }
        #expect(error?.failureKind == .badInput)
        #expect(error.map(String.init(describing:))?.contains(message) == true, "\(name): \(String(describing: error))")
    }

    @Test("a missing, empty or too large image is refused before anything else")
    func images() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dibkit-validation-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("missing.qcow2")
        let empty = folder.appendingPathComponent("empty.raw")
        let huge = folder.appendingPathComponent("huge.raw")
        _ = FileManager.default.createFile(atPath: empty.path, contents: Data())
        _ = FileManager.default.createFile(atPath: huge.path, contents: Data())
        try FileHandle(forWritingTo: huge).truncate(atOffset: 101_000_000_000)
        for (image, message) in [(missing, "cannot use \(missing.path) as an image"), (empty, "is empty"), (huge, "up to 100 GB")] {
            let error = #expect(throws: DigitalOceanError.self) { try Self.request(image).validate() }
            #expect(error.map(String.init(describing:))?.contains(message) == true, "\(String(describing: error))")
        }
    }

    @Test("an image with a backing file is refused before anything else, naming it")
    func backingFile() throws {
        let image = try TestImage(size: 2 << 20, randomBytes: 4096)
        defer { image.remove() }
        let error = #expect(throws: DigitalOceanError.self) { try Self.request(image.overlay(backedBy: "/etc/shadow")).validate() }
        #expect(error?.failureKind == .badInput)
        let text = error.map(String.init(describing:)) ?? ""
        #expect(text.contains("backing file /etc/shadow") && text.contains("flatten it with dibkit convert first"), "\(text)")
    }

    @Test("addresses and CIDRs, IPv4 and IPv6")
    func cidrs() {
        for good in ["203.0.113.7", "203.0.113.0/24", "0.0.0.0/0", "2001:db8::1", "2001:db8::/32", "::/0"] {
            #expect(DigitalOceanUploadRequest.isAddressOrCIDR(good), "\(good)")
        }
        for bad in ["203.0.113.0/33", "2001:db8::/129", "203.0.113", "example.com", "10.0.0.0/8/8", "10.0.0.1/x", ""] {
            #expect(!DigitalOceanUploadRequest.isAddressOrCIDR(bad), "\(bad)")
        }
    }

    @Test("the firewall's name comes from its tag, made valid")
    func firewallName() {
        #expect(FirewallRequest(tag: "dibkit-redis", ports: [], sources: []).name == "dibkit-redis")
        #expect(FirewallRequest(tag: "db:redis_main", ports: [], sources: []).name == "dibkit-db-redis-main")
    }
}
