@testable import BootCheck
import Foundation
import Reporting
import Testing
import TestSupport

/// Reading `dibkit test --topology` files: instances, their roles from their user-data, and bad files refused.
@Suite struct TopologyFileTests {
    /// A folder with `topology.yaml` (`topology`) and each (name, user-data) file.
    private func folder(_ topology: String, _ userData: [(String, String)]) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dibkit-topology-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(topology.utf8).write(to: folder.appendingPathComponent("topology.yaml"))
        for (name, text) in userData { try Data(text.utf8).write(to: folder.appendingPathComponent(name)) }
        return folder
    }

    private let twoInstances = """
        instances:
          - {name: primary, address: 10.77.0.11, user_data: p.yaml}
          - {name: replica, address: 10.77.0.12, user_data: r.yaml}
        """

    @Test func rolesComeFromEachInstancesUserData() throws {
        let dir = try folder(twoInstances, [
            ("p.yaml", "#cloud-config\ndibkit:\n  redis:\n    password: \"pass word 1\"\n    tls: true\n"
                + "    allowed_networks: [10.77.0.0/24]\n    sentinel: {monitor: \"10.77.0.11:6379\", port: 26380}\n"),
            ("r.yaml", "#cloud-config\ndibkit:\n  redis:\n    password: \"pass word 1\"\n    port: 6390\n"
                + "    replica_of: \"10.77.0.11:6379\"\n    tls: {cert: C, key: K, ca: CA-PEM}\n"),
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        let topology = try Topology.read(dir.appendingPathComponent("topology.yaml"), kind: .redis)
        #expect(topology.networkPrefix == "10.77.0")
        let (primary, replica) = (topology.instances[0], topology.instances[1])
        #expect(primary.primary == nil && primary.sentinel?.port == 26380 && primary.sentinel?.name == "mymaster")
        #expect(primary.tls != nil && primary.tls?.caPEM == nil)
        #expect(!topology.hostAllowed(primary))
        #expect(replica.primary == Topology.Endpoint(host: "10.77.0.11", port: 6379))
        #expect(replica.settings.port == 6390 && replica.settings.password == "pass word 1")
        #expect(replica.tls?.caPEM == "CA-PEM" && topology.hostAllowed(replica))
    }

    @Test func sqlReplicasNameTheirPrimaryInAMap() throws {
        let dir = try folder(twoInstances, [
            ("p.yaml", "#cloud-config\ndibkit:\n  postgresql: {password: \"pass word 1\", allowed_networks: \"10.77.0.0/24,10.0.2.0/24\"}\n"),
            ("r.yaml", "#cloud-config\ndibkit:\n  postgresql:\n    port: 5433\n"
                + "    standby_of: {host: 10.77.0.11, user: repl, password: \"repl pass 1\"}\n"),
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        let topology = try Topology.read(dir.appendingPathComponent("topology.yaml"), kind: .postgresql)
        #expect(topology.instances[1].primary == Topology.Endpoint(host: "10.77.0.11", port: 5432))
        // The standby's clients log in with the primary's role and password, on the standby's own port.
        #expect(topology.instances[1].settings == DatabaseSettings(
            kind: .postgresql, port: 5433, password: "pass word 1", user: "dibkit", database: "dibkit"))
        #expect(topology.instances[0].allowedNetworks == ["10.77.0.0/24", "10.0.2.0/24"])
        #expect(topology.hostAllowed(topology.instances[0]))
    }

    @Test(arguments: [
        ("instances: []", "at least two"),
        ("network: 10.77.0.0/16\n" + "instances:\n  - {name: a, address: 10.77.0.11, user_data: p.yaml}\n"
            + "  - {name: b, address: 10.77.0.12, user_data: p.yaml}", "must be an IPv4 /24"),
        ("instances:\n  - {name: a, address: 10.9.0.11, user_data: p.yaml}\n  - {name: b, address: 10.77.0.12, user_data: p.yaml}",
         "instance a: `address` must be an address of 10.77.0.0/24"),
        ("instances:\n  - {name: A_1, address: 10.77.0.11, user_data: p.yaml}\n  - {name: b, address: 10.77.0.12, user_data: p.yaml}",
         "`name` must be lower-case"),
        ("instances:\n  - {name: a, address: 10.77.0.11, user_data: p.yaml}\n  - {name: a, address: 10.77.0.12, user_data: p.yaml}",
         "names and addresses must be unique"),
        ("instances:\n  - {name: a, address: 10.77.0.11, user_data: p.yaml}\n  - {name: b, address: 10.77.0.12, user_data: nope.yaml}",
         "instance b: cannot read user_data"),
    ])
    func badFilesAreRefusedAsBadInput(text: String, message: String) throws {
        let dir = try folder(text, [("p.yaml", "#cloud-config\ndibkit:\n  redis: {password: \"pass word 1\"}\n")])
        defer { try? FileManager.default.removeItem(at: dir) }
        let error = try #require(throws: BootCheckError.self) {
            try Topology.read(dir.appendingPathComponent("topology.yaml"), kind: .redis)
        }
        #expect(error.failureKind == .badInput)
        #expect(error.reason.contains(message), "\(error.reason)")
    }

    @Test func theLinksAddressAndTheUserNetworkGoIntoNetworkConfig() {
        let config = TopologyRun.networkConfig(linkMAC: "52:54:00:77:00:01", address: "10.77.0.11")
        #expect(config.contains("macaddress: \"52:54:00:12:34:56\"}\n    dhcp4: true"))
        #expect(config.contains("macaddress: \"52:54:00:77:00:01\"}\n    addresses: [10.77.0.11/24]"))
    }

    @Test func hostAddressMatching() {
        #expect(Topology.ipv4(network: "10.0.2.0/24", contains: "10.0.2.2"))
        #expect(Topology.ipv4(network: "0.0.0.0/0", contains: "10.0.2.2"))
        #expect(!Topology.ipv4(network: "10.0.2.3/32", contains: "10.0.2.2"))
        #expect(!Topology.ipv4(network: "fd00::/8", contains: "10.0.2.2"))
    }
}
