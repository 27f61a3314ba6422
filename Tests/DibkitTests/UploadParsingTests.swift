import ArgumentParser
@testable import Cloud
import Foundation
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
        #expect(upload.region == "nyc3" && upload.space == "my-space" && upload.keepStaged && upload.json && upload.firewall)
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
