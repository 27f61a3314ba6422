@testable import DigitalOcean
import Foundation
import OpenStack
import Reporting
import TestSupport
import Testing
import Reporting

@testable import UploadWorkflows
import ImagePatch

@Suite("upload: the plan from settings, environment and manifest, and the droplet command (nothing is sent)")
struct UploadPlanTests {
    @Test("lists may be comma-separated or repeated; defaults for endpoints and name; the firewall from --port")
    func digitalOceanPlan() throws {
        var settings = DigitalOceanUploadSettings(image: URL(fileURLWithPath: "images/redis.qcow2"), region: "nyc3", space: "my-space")
        settings.regions = ["fra1,ams3"]
        settings.tags = ["a,b", "c"]
        settings.firewall = true
        settings.allow = ["203.0.113.0/24", "198.51.100.7"]
        settings.ports = [6380]
        settings.timeout = .seconds(5400)
        let plan = try DigitalOceanUploadPlan(settings, environment: [:])
        #expect(plan.request.extraRegions == ["fra1", "ams3"])
        #expect(plan.request.tags == ["a", "b", "c"])
        #expect(plan.request.timeout == .seconds(5400))
        #expect(plan.request.spacesEndpoint.absoluteString == "https://nyc3.digitaloceanspaces.com")
        #expect(plan.request.apiURL.absoluteString == "https://api.digitalocean.com")
        #expect(plan.request.name == "redis")
        #expect(plan.request.firewall == FirewallRequest(tag: "dibkit-image", ports: [6380], sources: ["203.0.113.0/24", "198.51.100.7"]))
    }

    @Test("settings beat the environment for the endpoints; the environment beats the defaults")
    func endpoints() throws {
        let environment = ["DIGITALOCEAN_API_URL": "http://127.0.0.1:1", "SPACES_ENDPOINT": "http://127.0.0.1:2"]
        var settings = DigitalOceanUploadSettings(image: URL(fileURLWithPath: "x.qcow2"), region: "ams3", space: "s-1")
        let fromEnvironment = try DigitalOceanUploadPlan(settings, environment: environment)
        #expect(fromEnvironment.request.apiURL.absoluteString == "http://127.0.0.1:1")
        #expect(fromEnvironment.request.spacesEndpoint.absoluteString == "http://127.0.0.1:2")
        settings.apiURL = "http://127.0.0.1:3"
        settings.spacesEndpoint = "http://127.0.0.1:4"
        let fromSettings = try DigitalOceanUploadPlan(settings, environment: environment)
        #expect(fromSettings.request.apiURL.absoluteString == "http://127.0.0.1:3")
        #expect(fromSettings.request.spacesEndpoint.absoluteString == "http://127.0.0.1:4")
        settings.apiURL = "not a url"
        #expect(throws: DigitalOceanError.self) { try DigitalOceanUploadPlan(settings, environment: environment) }
    }

    @Test("a manifest gives os_distro, os_version, hw_* and sw_database_* properties and min_disk; given properties win")
    func manifestProperties() throws {
        let folder = try TemporaryFolder()
        let image = folder.appendingPathComponent("redis.qcow2")
        try Manifest.sample(name: "redis", database: "redis", version: "7.0", ports: [6379], elements: ["redis", "guest-agent"])
            .write(beside: image)
        var settings = OpenStackUploadSettings(image: image)
        settings.properties = ["hw_disk_bus": "scsi"]
        settings.useImport = true
        settings.visibility = "shared"
        settings.timeout = .seconds(1200)
        let request = OpenStackUploadPlan(settings).request
        #expect(request.properties["os_distro"] == "debian" && request.properties["os_version"] == "12")
        #expect(request.properties["hw_architecture"] == "x86_64" && request.properties["hw_qemu_guest_agent"] == "yes")
        #expect(request.properties["hw_disk_bus"] == "scsi", "a given property wins over the manifest")
        #expect(request.properties["sw_database_redis_version"] == "7.0" && request.properties["sw_database_redis_listen_port"] == "6379")
        #expect(request.properties["os_admin_user"] == "dibkit" && request.minDiskGB == 3)
        #expect(request.useImport && request.visibility == "shared" && request.importTimeout == .seconds(1200) && request.name == "redis")
    }

    @Test("a Trove transport URL from clouds.yaml or the settings with a visibility others can read is refused before anything is sent",
          arguments: ["public", "community", "shared"])
    func transportURLNeedsPrivateImage(visibility: String) async throws {
        let folder = try TemporaryFolder()
        let url = "rabbit://trove:mq-pass@10.0.0.5:5672/"
        var settings = OpenStackUploadSettings(image: folder.appendingPathComponent("redis.qcow2"))
        settings.visibility = visibility
        // A Keystone nobody answers: a refusal that came after the first request would be a connection error.
        var credentials = CloudCredentials(
            name: "nobody", auth: ["auth_url": "http://127.0.0.1:9/v3", "username": "u", "password": "p", "project_name": "x"])
        credentials.otherSettings["trove_transport_url"] = url
        var given = settings
        given.extras.troveTransportURL = url
        for (settings, credentials) in [(settings, credentials), (given, CloudCredentials(name: "nobody", auth: credentials.auth))] {
            await #expect { _ = try await OpenStackUploadPlan(settings).run(credentials: credentials, progress: { _ in }) } throws: { error in
                let text = "\(error)"
                return (error as? OpenStackError)?.isBadInput == true && text.contains("--visibility \(visibility)")
                    && text.contains("holds the message queue's password") && !text.contains("mq-pass")
            }
        }
    }

    @Test("the Trove transport URL: --trove-transport-url, then the file's first line, then DIBKIT_TROVE_TRANSPORT_URL")
    func transportURLSources() throws {
        let folder = try TemporaryFolder()
        let file = folder.appendingPathComponent("transport-url")
        try Data("rabbit://from-file@10.0.0.5:5672/\nignored\n".utf8).write(to: file)
        let environment = [OpenStackUploadExtras.transportURLVariable: "rabbit://from-env@10.0.0.5:5672/"]
        #expect(try OpenStackUploadExtras.givenTransportURL(argument: "rabbit://from-argv@h/", file: file, environment: environment)
            == "rabbit://from-argv@h/")
        #expect(try OpenStackUploadExtras.givenTransportURL(argument: nil, file: file, environment: environment)
            == "rabbit://from-file@10.0.0.5:5672/")
        #expect(try OpenStackUploadExtras.givenTransportURL(argument: nil, file: nil, environment: environment)
            == "rabbit://from-env@10.0.0.5:5672/")
        #expect(try OpenStackUploadExtras.givenTransportURL(argument: nil, file: nil, environment: [:]) == nil)
        try Data("\n".utf8).write(to: file)
        #expect(throws: TouchError.badTroveSetting(option: "--trove-transport-url-file", reason: "\(file.path) has no URL on its first line")) {
            try OpenStackUploadExtras.givenTransportURL(argument: nil, file: file, environment: environment)
        }
    }

    @Test("user-data is created for its owner only (0600), and never through a link planted at its name")
    func userDataFileIsPrivate() throws {
        let folder = try TemporaryFolder()
        let image = folder.appendingPathComponent("redis.qcow2")
        try Manifest.sample(name: "redis", database: "redis", ports: [6379]).write(beside: image)
        let plan = try DigitalOceanUploadPlan(DigitalOceanUploadSettings(image: image, region: "nyc3", space: "s-1"), environment: [:])
        let elsewhere = folder.appendingPathComponent("elsewhere")
        try FileManager.default.createSymbolicLink(at: plan.userDataFile, withDestinationURL: elsewhere)
        #expect(try plan.writeUserDataIfMissing() == false, "what is there is kept")
        #expect(!FileManager.default.fileExists(atPath: elsewhere.path), "the link was not followed")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: plan.userDataFile.path) == elsewhere.path)

        try FileManager.default.removeItem(at: plan.userDataFile)
        #expect(try plan.writeUserDataIfMissing() == true)
        let attributes = try FileManager.default.attributesOfItem(atPath: plan.userDataFile.path)
        #expect(attributes[.type] as? FileAttributeType == .typeRegular && attributes[.posixPermissions] as? Int == 0o600)
        #expect(try String(contentsOf: plan.userDataFile, encoding: .utf8).contains("  redis: {port: 6379, password: \""))
        #expect(try plan.writeUserDataIfMissing() == false, "a second run keeps the first one's password")
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
