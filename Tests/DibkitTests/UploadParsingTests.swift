import ArgumentParser
@testable import Cloud
import Foundation
import OpenStack
import Testing

@testable import dibkit

@Suite("dibkit upload: parsing and the droplet command (nothing runs)")
struct UploadParsingTests {
    @Test("options parse; lists may be comma-separated or repeated")
    func options() throws {
        let command = try Dibkit.parseAsRoot([
            "upload", "--cloud", "digitalocean", "images/redis.qcow2", "--region", "nyc3", "--space", "my-space", "--regions", "fra1,ams3",
            "--tags", "a,b", "--tags", "c", "--firewall", "--allow", "203.0.113.0/24", "--allow", "198.51.100.7", "--timeout", "90m",
            "--keep-staged", "--json", "--port", "6380",
        ])
        let upload = try #require(command as? Dibkit.Upload)
        let options = upload.digitalOcean
        #expect(options.region == "nyc3" && options.space == "my-space" && options.keepStaged && upload.json && options.firewall)
        let plan = try UploadPlan(command: upload, environment: [:], token: "t")
        #expect(plan.request.extraRegions == ["fra1", "ams3"])
        #expect(plan.request.tags == ["a", "b", "c"])
        #expect(plan.request.timeout == .seconds(5400))
        #expect(plan.request.spacesEndpoint.absoluteString == "https://nyc3.digitaloceanspaces.com")
        #expect(plan.request.apiURL.absoluteString == "https://api.digitalocean.com")
        #expect(plan.request.name == "redis")
        #expect(plan.request.firewall == FirewallRequest(tag: "dibkit-image", ports: [6380], sources: ["203.0.113.0/24", "198.51.100.7"]))
    }

    @Test("flags beat the environment for the endpoints; the environment beats the defaults")
    func endpoints() throws {
        let base = ["upload", "--cloud", "digitalocean", "x.qcow2", "--region", "ams3", "--space", "s-1"]
        let environment = ["DIGITALOCEAN_API_URL": "http://127.0.0.1:1", "SPACES_ENDPOINT": "http://127.0.0.1:2"]
        let fromEnvironment = try UploadPlan(command: try #require(try Dibkit.parseAsRoot(base) as? Dibkit.Upload), environment: environment, token: "t")
        #expect(fromEnvironment.request.apiURL.absoluteString == "http://127.0.0.1:1")
        #expect(fromEnvironment.request.spacesEndpoint.absoluteString == "http://127.0.0.1:2")
        let flags = try #require(try Dibkit.parseAsRoot(base + ["--api-url", "http://127.0.0.1:3", "--spaces-endpoint", "http://127.0.0.1:4"]) as? Dibkit.Upload)
        let fromFlags = try UploadPlan(command: flags, environment: environment, token: "t")
        #expect(fromFlags.request.apiURL.absoluteString == "http://127.0.0.1:3")
        #expect(fromFlags.request.spacesEndpoint.absoluteString == "http://127.0.0.1:4")
    }

    @Test("--cloud openstack: properties, --import, --os-cloud; DigitalOcean's options are refused, and OpenStack's for digitalocean")
    func openStackOptions() throws {
        let command = try Dibkit.parseAsRoot([
            "upload", "--cloud", "openstack", "images/redis.qcow2", "--os-cloud", "prod", "--property", "hw_rng_model=virtio",
            "--property", "os_distro=debian", "--import", "--name", "redis-7", "--visibility", "shared", "--timeout", "20m",
        ])
        let upload = try #require(command as? Dibkit.Upload)
        let request = try OpenStackUploadPlan(command: upload).request
        #expect(upload.openStack.osCloud == "prod" && request.useImport && request.name == "redis-7" && request.visibility == "shared")
        #expect(request.properties == ["hw_rng_model": "virtio", "os_distro": "debian"])
        #expect(request.importTimeout == .seconds(1200))
        for (cloud, stray, message) in [
            ("openstack", ["--space", "s-1"], "--space is for --cloud digitalocean"),
            ("openstack", ["--firewall"], "--firewall is for --cloud digitalocean"),
            ("digitalocean", ["--region", "nyc3", "--space", "s-1", "--import"], "--import is for --cloud openstack"),
            ("digitalocean", ["--region", "nyc3", "--space", "s-1", "--property", "a=b"], "--property is for --cloud openstack"),
            ("openstack", ["--property", "novalue"], "--property novalue is not key=value"),
        ] {
            #expect { try Dibkit.parseAsRoot(["upload", "--cloud", cloud, "x.qcow2"] + stray) } throws: { error in
                Dibkit.message(for: error).contains(message)
            }
        }
    }

    @Test("a manifest gives os_distro, os_version, hw_* and sw_database_* properties and min_disk")
    func manifestProperties() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dibkit-props-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let manifest: [String: Any] = [
            "name": "redis", "database": "redis", "databaseVersion": ["version": "7.0", "source": "distro"], "loginUser": "dibkit",
            "authorizedKeys": 0, "ports": [6379], "elements": ["redis", "guest-agent"], "release": "bookworm", "arch": "amd64",
            "mirror": "http://deb.example", "format": "qcow2", "compression": "deflate", "packages": [], "sha256": "ab",
            "sizes": ["image": 1, "virtual": 3 << 30, "rootfs": 1], "phases": [], "accelerator": "tcg", "baseRootFromCache": false,
            "created": "2026-11-24T12:00:00Z", "dibkitVersion": "0.1.0",
        ]
        try JSONSerialization.data(withJSONObject: manifest).write(to: folder.appendingPathComponent("redis.json"))
        let command = try #require(try Dibkit.parseAsRoot([
            "upload", "--cloud", "openstack", folder.appendingPathComponent("redis.qcow2").path, "--property", "hw_disk_bus=scsi",
        ]) as? Dibkit.Upload)
        let request = try OpenStackUploadPlan(command: command).request
        #expect(request.properties["os_distro"] == "debian" && request.properties["os_version"] == "12")
        #expect(request.properties["hw_architecture"] == "x86_64" && request.properties["hw_qemu_guest_agent"] == "yes")
        #expect(request.properties["hw_disk_bus"] == "scsi", "--property wins over the manifest")
        #expect(request.properties["sw_database_redis_version"] == "7.0" && request.properties["sw_database_redis_listen_port"] == "6379")
        #expect(request.properties["os_admin_user"] == "dibkit" && request.minDiskGB == 3)
    }

    @Test("usage errors: unknown cloud, bad timeout, --allow without --firewall, no --space")
    func usageErrors() {
        let base = ["upload", "x.qcow2", "--region", "nyc3", "--space", "s-1"]
        #expect(throws: (any Error).self) { try Dibkit.parseAsRoot(base + ["--cloud", "aws"]) }
        #expect(throws: (any Error).self) { try Dibkit.parseAsRoot(base + ["--cloud", "digitalocean", "--timeout", "soon"]) }
        #expect(throws: (any Error).self) { try Dibkit.parseAsRoot(base + ["--cloud", "digitalocean", "--allow", "10.0.0.0/8"]) }
        #expect(throws: (any Error).self) { try Dibkit.parseAsRoot(["upload", "--cloud", "digitalocean", "x.qcow2", "--region", "nyc3"]) }
    }

    @Test("durations: seconds, minutes, hours")
    func durations() throws {
        #expect(try parseDuration("90s") == .seconds(90))
        #expect(try parseDuration("60m") == .seconds(3600))
        #expect(try parseDuration("2h") == .seconds(7200))
        #expect(try parseDuration("45") == .seconds(45))
        #expect(throws: (any Error).self) { try parseDuration("0m") }
    }

    @Test("the droplet command picks a size whose disk holds the image and quotes odd paths")
    func dropletCommand() {
        let staged = DigitalOceanUploadResult.Staged(format: "raw.gz", bytes: 1, otherFormatBytes: nil, url: "u", kept: false, bytesPerSecond: 1)
        let result = DigitalOceanUploadResult(
            imageID: 42, name: "redis-dib", distribution: "Debian", status: "available", regions: ["nyc3"], minDiskSizeGB: 30,
            staged: staged, firewall: nil, seconds: [:])
        let text = DropletCommand(result: result, region: "nyc3", userDataFile: URL(fileURLWithPath: "/tmp/my images/x.user-data"), tag: "db").text
        #expect(text.hasPrefix("doctl compute droplet create redis-dib-1 --image 42 --region nyc3 --size s-1vcpu-2gb"))
        #expect(text.contains("--user-data-file '/tmp/my images/x.user-data' --tag-name db --wait"))
    }
}
