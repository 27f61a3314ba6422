import Chroot
import Foundation
import ImagePatch
import Reporting
import TestSupport
import Testing
import HostProcesses
import Elements

/// `withTouchedCopy`: the per-cloud touches of `dibkit upload` through a real libguestfs appliance, on small
/// disks made by `PatchFixture`.
@Suite("upload's per-cloud touches: on a copy, never on the image", .serialized)
struct TouchedCopyTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// What the `guest-agent` element leaves in a `DIBKIT_GUEST_AGENT=trove` image: its template with the
    /// datastore manager filled in, `/etc/trove/conf.d`, and the `trove` user.
    static let troveImage = """
        mkdir -p "$R/usr/share/dibkit/trove" "$R/etc/trove/conf.d"
        sed 's/@DATASTORE_MANAGER@/redis/' \(repository.path)/elements/guest-agent/static/usr/share/dibkit/trove/dibkit-cloud.conf.in \
            > "$R/usr/share/dibkit/trove/dibkit-cloud.conf.in"
        echo 'trove:x:107:113::/var/lib/trove:/bin/false' >> "$R/etc/passwd"
        """
    static let transportURL = "rabbit://trove:mq-s3cret@10.0.0.5:5672/"

    func run<T: Sendable>(
        _ fixture: PatchFixture, _ image: URL, _ touches: CloudTouches, events: EventLog = EventLog(),
        _ body: (URL) async throws -> T
    ) async throws -> T {
        let choice = await AcceleratorChoice.detect()
        return try await withTouchedCopy(of: image, touches: touches, accelerator: choice, progress: events.record, body)
    }

    func publicKey(_ fixture: PatchFixture) throws -> AuthorizedKeys {
        let text = try shell("ssh-keygen -q -t ed25519 -N '' -C from-nova -f \(fixture.folder.path)/key && cat \(fixture.folder.path)/key.pub && rm \(fixture.folder.path)/key*")
        return try AuthorizedKeys(text: text, source: "keypair 'ops' of the cloud")
    }

    @Test("the copy gets the filled-in agent config and the keypair; the image keeps its bytes; the copy goes")
    func touchesLandInCopy() async throws {
        let fixture = try PatchFixture(extraSetup: Self.troveImage)
        defer { fixture.remove() }
        let image = try fixture.qcow2()
        let before = try shell("sha256sum < \(image.path)")
        let keys = try publicKey(fixture)
        let agent = try TroveAgentSettings(transportURL: Self.transportURL, controlExchange: "trove-ex")
        let events = EventLog()

        let (copy, config, authorized, modes) = try await run(
            fixture, image, CloudTouches(troveAgent: agent, keys: keys, loginUser: "dibkit"), events: events
        ) { copy in
            #expect(copy != image && copy.lastPathComponent == image.lastPathComponent)
            #expect(try shell("sha256sum < \(image.path)") == before, "the image is untouched while the copy is uploaded")
            let copyMode = try FileManager.default.attributesOfItem(atPath: copy.path)[.posixPermissions] as? Int
            let folderMode = try FileManager.default.attributesOfItem(atPath: copy.deletingLastPathComponent().path)[.posixPermissions] as? Int
            #expect(copyMode == 0o600 && folderMode == 0o700, "the copy holds the queue's password: for its owner only")
            let (config, authorized) = try await GuestSession.withSession(
                disk: copy, format: "qcow2", accelerator: await AcceleratorChoice.detect().accelerator, readOnly: true,
                followConsole: false
            ) { guest in
                _ = try await guest.mountRoot()
                return (String(decoding: try await guest.readFile(TroveAgentSettings.configPath), as: UTF8.self),
                        String(decoding: try await guest.readFile("/home/dibkit/.ssh/authorized_keys"), as: UTF8.self))
            }
            let modes = try ["/etc/trove/conf.d/dibkit-cloud.conf", "/home/dibkit/.ssh/authorized_keys"]
                .map { try fixture.modeAndOwner(copy, $0) }
            return (copy, config, authorized, modes)
        }

        #expect(config.contains("transport_url = \(Self.transportURL)\n"))
        #expect(config.contains("control_exchange = trove-ex\n"))
        #expect(config.contains("datastore_manager = redis\n"))
        #expect(!config.contains("@TRANSPORT_URL@") && !config.contains("@CONTROL_EXCHANGE@"))
        #expect(authorized == keys.lines.joined(separator: "\n") + "\n")
        #expect(modes == ["Mode: 0640 User: 0 Group: 113", "Mode: 0600 User: 1000 Group: 1001"])
        #expect(try shell("sha256sum < \(image.path)") == before)
        #expect(!FileManager.default.fileExists(atPath: copy.path))
        #expect(fixture.strayFiles.isEmpty, "\(fixture.strayFiles)")
        let steps = events.finishedSteps
        #expect(steps.contains { $0.hasPrefix("touch: Trove agent (transport rabbit://…@10.0.0.5:5672") })
        #expect(!steps.joined().contains("mq-s3cret"), "the password never reaches progress")
    }

    @Test("an upload that fails still removes the copy and leaves the image as it was")
    func failingBodyRemovesCopy() async throws {
        let fixture = try PatchFixture()
        defer { fixture.remove() }
        let before = try shell("sha256sum < \(fixture.raw.path)")
        struct UploadFailed: Error {}
        await #expect(throws: UploadFailed.self) {
            try await run(fixture, fixture.raw, CloudTouches(keys: try publicKey(fixture))) { _ in throw UploadFailed() }
        }
        #expect(try shell("sha256sum < \(fixture.raw.path)") == before)
        #expect(fixture.strayFiles.isEmpty, "\(fixture.strayFiles)")
        #expect(fixture.appliances == 0)
    }

    @Test("Trove settings for an image without the agent's template are refused, nothing left behind")
    func noTemplate() async throws {
        let fixture = try PatchFixture()
        defer { fixture.remove() }
        let touches = CloudTouches(troveAgent: try TroveAgentSettings(transportURL: Self.transportURL))
        let error = await #expect(throws: TouchError.noTroveTemplate(image: fixture.raw.path)) {
            try await run(fixture, fixture.raw, touches) { _ in Issue.record("no upload without the touches") }
        }
        #expect(error?.description.contains("DIBKIT_GUEST_AGENT=trove") == true)
        #expect(fixture.strayFiles.isEmpty, "\(fixture.strayFiles)")
    }

    @Test("a template with fields dibkit does not fill is refused rather than half-filled")
    func unfilledTemplate() async throws {
        let fixture = try PatchFixture(extraSetup: Self.troveImage.replacingOccurrences(of: "s/@DATASTORE_MANAGER@/redis/", with: "s/x/x/"))
        defer { fixture.remove() }
        let touches = CloudTouches(troveAgent: try TroveAgentSettings(transportURL: Self.transportURL))
        await #expect(throws: TouchError.troveTemplateUnfilled(["@DATASTORE_MANAGER@"])) {
            try await run(fixture, fixture.raw, touches) { _ in Issue.record("no upload without the touches") }
        }
        #expect(fixture.strayFiles.isEmpty, "\(fixture.strayFiles)")
    }

    @Test("a keypair for a login user the image lacks says to pass --login-user")
    func missingLoginUser() async throws {
        let fixture = try PatchFixture()
        defer { fixture.remove() }
        let touches = CloudTouches(keys: try publicKey(fixture), loginUser: "debian")
        let error = await #expect(throws: TouchError.noLoginUser("debian", reason: "the image has no user 'debian' in /etc/passwd")) {
            try await run(fixture, fixture.raw, touches) { _ in Issue.record("no upload without the touches") }
        }
        #expect(error?.description.contains("--login-user") == true)
        #expect(fixture.strayFiles.isEmpty, "\(fixture.strayFiles)")
    }

    @Test("cancelling (Ctrl-C) while the appliance starts stops it and removes the copy")
    func cancellation() async throws {
        let fixture = try PatchFixture()
        defer { fixture.remove() }
        let before = try shell("sha256sum < \(fixture.raw.path)")
        let launching = AsyncStream<Void>.makeStream()
        let events = EventLog { event in
            if case .stepStarted("launch", _) = event { launching.continuation.yield() }
        }
        let keys = try publicKey(fixture)
        let task = Task { try await run(fixture, fixture.raw, CloudTouches(keys: keys), events: events) { _ in } }
        for await _ in launching.stream { break }
        task.cancel()
        await #expect(throws: ChrootError.cancelled) { try await task.value }
        #expect(try shell("sha256sum < \(fixture.raw.path)") == before)
        #expect(fixture.strayFiles.isEmpty, "\(fixture.strayFiles)")
        #expect(fixture.appliances == 0)
    }

    @Test("nothing to touch: the image itself is handed over, no copy, no appliance")
    func nothingToTouch() async throws {
        let fixture = try PatchFixture()
        defer { fixture.remove() }
        let handed = try await run(fixture, fixture.raw, CloudTouches()) { $0 }
        #expect(handed == fixture.raw)
    }
}

/// The Trove agent's settings and keys from a cloud, checked without an appliance.
@Suite("Trove agent settings and keypair text")
struct TouchSettingsTests {
    @Test("a transport URL without a scheme or with a line break, and a bad exchange, are refused by option", arguments: [
        ("10.0.0.5:5672", "trove", "--trove-transport-url"),
        ("rabbit://a:b@h:5672/\nx = y", "trove", "--trove-transport-url"),
        ("rabbit://a:b@h:5672/", "tro ve", "--trove-control-exchange"),
    ])
    func badSettings(url: String, exchange: String, option: String) {
        #expect { try TroveAgentSettings(transportURL: url, controlExchange: exchange) } throws: { error in
            guard case TouchError.badTroveSetting(let named, _) = error else { return false }
            return named == option
        }
    }

    @Test("the description shows scheme and host, never the user or password")
    func description() throws {
        let settings = try TroveAgentSettings(transportURL: "rabbit://trove:pa55@mq.example:5672/vhost")
        #expect(settings.description == "transport rabbit://…@mq.example:5672, control exchange trove")
        #expect(!"\(settings)".contains("pa55"))
    }

    @Test("a keypair's text is checked like a -k file: a private key is refused, naming where it came from")
    func keypairText() {
        #expect(throws: ElementError.badPublicKey(
            path: "keypair 'ops'", line: nil, reason: "is a private key; pass the public one (the .pub file)")) {
            try AuthorizedKeys(text: "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n", source: "keypair 'ops'")
        }
        #expect(throws: ElementError.self) { try AuthorizedKeys(text: "not a key", source: "keypair 'ops'") }
    }
}
