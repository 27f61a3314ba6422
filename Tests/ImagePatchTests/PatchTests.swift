import Chroot
import Foundation
import ImagePatch
import QcowIO
import Reporting
import TestSupport
import Testing
import Elements

/// `dibkit patch` through a real libguestfs appliance on small disks made by the fixture.
@Suite("patch: steps in an image's root, all or nothing", .serialized)
struct PatchTests {
    @Test("qcow2: uploads, ssh keys and commands land with their modes and owners")
    func qcow2Success() async throws {
        let fixture = try PatchFixture()
        defer { fixture.remove() }
        let image = try fixture.qcow2()
        let upload = fixture.folder.appendingPathComponent("motd")
        try Data("patched motd\n".utf8).write(to: upload)
        _ = try shell("chmod 640 \(upload.path)")
        let keysFile = fixture.folder.appendingPathComponent("keys.pub")
        _ = try shell("ssh-keygen -q -t ed25519 -N '' -C patch-test -f \(fixture.folder.path)/key && mv \(fixture.folder.path)/key.pub \(keysFile.path) && rm \(fixture.folder.path)/key")
        let keys = try AuthorizedKeys(file: keysFile)

        let report = try await fixture.patch(image, [
            .upload(try FileUpload(argument: "\(upload.path):/etc/")),
            .run("echo from-step > /root/made-by-step; printf 'a dpkg-style line\\r\\n'"),
            .authorizeKeys(keys, user: "dibkit"),
        ])

        #expect(report.format == .qcow2)
        #expect(report.rootDevice == "/dev/sda1")
        #expect(try fixture.debugfs(image, "cat /etc/motd") == "patched motd\n")
        #expect(try fixture.modeAndOwner(image, "/etc/motd") == "Mode: 0640 User: 0 Group: 0")
        #expect(try fixture.debugfs(image, "cat /root/made-by-step") == "from-step\n")
        #expect(try fixture.debugfs(image, "cat /home/dibkit/.ssh/authorized_keys") == keys.lines.joined(separator: "\n") + "\n")
        #expect(try fixture.modeAndOwner(image, "/home/dibkit/.ssh") == "Mode: 0700 User: 1000 Group: 1001")
        #expect(try fixture.modeAndOwner(image, "/home/dibkit/.ssh/authorized_keys") == "Mode: 0600 User: 1000 Group: 1001")
        #expect(fixture.strayFiles.isEmpty, "\(fixture.strayFiles)")
    }

    @Test("raw: --install runs apt-get update, install without recommends, then empties the lists")
    func rawInstall() async throws {
        let fixture = try PatchFixture()
        defer { fixture.remove() }
        let events = EventLog()
        let report = try await fixture.patch(fixture.raw, [.install(packages: ["redis-tools", "jq"])], events: events)

        #expect(report.format == .raw)
        #expect(try fixture.debugfs(fixture.raw, "cat /var/log/apt-calls") == """
            apt-get update
            apt-get install -y --no-install-recommends redis-tools jq
            apt-get clean

            """)
        #expect(try fixture.debugfs(fixture.raw, "ls /var/lib/apt/lists").contains("old") == false)
        #expect(try fixture.debugfs(fixture.raw, "cat /var/log/apt-resolver").hasPrefix("nameserver "),
                "apt ran with the appliance's resolver")
        #expect(try fixture.debugfs(fixture.raw, "stat /etc/resolv.conf").isEmpty, "and the image has none again")
        #expect(events.finishedSteps.contains("step 1/1: --install redis-tools,jq"))
        #expect(fixture.strayFiles.isEmpty, "\(fixture.strayFiles)")
    }

    @Test("a failing step leaves the image byte-identical and names step, command, status and output")
    func failureLeavesImageUnchanged() async throws {
        let fixture = try PatchFixture()
        defer { fixture.remove() }
        let image = try fixture.qcow2()
        let before = try shell("sha256sum < \(image.path)")
        let error = await #expect(throws: PatchError.self) {
            try await fixture.patch(image, [
                .run("echo first > /etc/first"),
                .run("echo going wrong; echo on stderr >&2; exit 7"),
            ])
        }
        #expect(error == .stepFailed(
            step: 2, steps: 2, label: "-s echo going wrong; echo on stderr >&2; exit 7",
            command: "echo going wrong; echo on stderr >&2; exit 7", status: 7, outputTail: ["going wrong", "on stderr"],
            withoutNetwork: true))
        #expect(error?.description.contains("pass --network") == true)
        #expect(error?.description.contains("the image is unchanged") == true)
        #expect(try shell("sha256sum < \(image.path)") == before)
        #expect(fixture.strayFiles.isEmpty, "\(fixture.strayFiles)")
        #expect(fixture.appliances == 0)
    }

    @Test("cancelling mid-step (Ctrl-C) stops the appliance and leaves the image byte-identical")
    func cancellation() async throws {
        let fixture = try PatchFixture()
        defer { fixture.remove() }
        let before = try shell("sha256sum < \(fixture.raw.path)")
        let started = AsyncStream<Void>.makeStream()
        let events = EventLog { event in
            if case .stepStarted(let name, _) = event, name.hasPrefix("step 1/1") { started.continuation.yield() }
        }
        let task = Task { try await fixture.patch(fixture.raw, [.run("echo x > /etc/x; sleep 600")], events: events) }
        for await _ in started.stream { break }
        task.cancel()
        await #expect(throws: ChrootError.cancelled) { _ = try await task.value }
        #expect(try shell("sha256sum < \(fixture.raw.path)") == before)
        #expect(fixture.strayFiles.isEmpty, "\(fixture.strayFiles)")
        #expect(fixture.appliances == 0)
    }

    @Test("an image without a root filesystem is refused, naming what it holds")
    func noRoot() async throws {
        let fixture = try PatchFixture()
        defer { fixture.remove() }
        let blank = fixture.folder.appendingPathComponent("blank.raw")
        _ = try shell("truncate -s 16M \(blank.path) && printf 'label: dos\\n2048,,83\\n' | sfdisk -q \(blank.path)")
        defer { try? FileManager.default.removeItem(at: blank) }
        let error = await #expect(throws: ChrootError.self) { try await fixture.patch(blank, [.run("true")]) }
        #expect(error == .noRootFilesystem(seen: ["/dev/sda1 (no filesystem)"]))
    }
}
