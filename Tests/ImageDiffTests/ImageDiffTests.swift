import Foundation
import HostProcesses
import ImageContents
import ImageDiff
import QcowIO
import TestSupport
import Testing

/// `diff` through a real libguestfs appliance on the small images `DiffFixture` makes.
@Suite("diff: two images read in one appliance, compared", .serialized)
struct ImageDiffTests {
    /// Compares with the machine's accelerator; the step names it went through go to `steps`.
    func diff(_ first: URL, _ second: URL, steps: EventLog = EventLog()) async throws -> DiffReport {
        try await ImageDiff.diff(first, second, accelerator: await AcceleratorChoice.detect(), progress: steps.record)
    }

    /// The temporary folders of diffs in this process's temporary directory.
    var temporaryFolders: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)) ?? [])
            .filter { $0.hasPrefix("dibkit-diff-") }
    }

    @Test("a qcow2 and a raw image: every difference made between them, exactly; the images unchanged, nothing left")
    func differences() async throws {
        let fixture = try DiffFixture()
        defer { fixture.remove() }
        let checksums = try shell("sha256sum \(fixture.before.path) \(fixture.after.path)")
        let steps = EventLog()
        let report = try await diff(fixture.before, fixture.after, steps: steps)

        #expect(report.first.format == .qcow2 && report.second.format == .raw)
        #expect(report.first.rootDevice == "/dev/sda1" && report.second.rootDevice == "/dev/sdb1")
        let differences = report.differences
        #expect(differences.packages.added == [.init(name: "jq", version: "1.7.1-6")])
        #expect(differences.packages.removed.isEmpty)
        #expect(differences.packages.changed == [.init(name: "redis-server", from: "5:8.0.2-3", to: "5:8.0.3-1")])
        #expect(differences.etc.added == ["/etc/systemd/system/multi-user.target.wants/redis-sentinel.service"])
        #expect(differences.etc.removed == ["/etc/systemd/system/multi-user.target.wants/redis-server.service"])
        #expect(differences.etc.changed.map(\.path) == ["/etc/nftables.d/redis.nft", "/etc/redis/redis.conf"])
        let config = differences.etc.changed.last
        let contents = (try sha256("port 6379\n"), try sha256("port 6380\n"))
        #expect(config?.content?.from == contents.0 && config?.content?.to == contents.1)
        #expect(config?.mode?.from == "0640" && config?.mode?.to == "0600")
        #expect(config?.owner?.from == "redis:redis" && config?.owner?.to == "root:redis")
        #expect(differences.services.enabled == [ServiceLink(unit: "redis-sentinel.service", folder: "multi-user.target.wants")])
        #expect(differences.services.disabled == [ServiceLink(unit: "redis-server.service", folder: "multi-user.target.wants")])
        #expect(differences.services.masked.isEmpty && differences.services.unmasked.isEmpty)
        #expect(differences.firewall.policy == nil)
        #expect(differences.firewall.opened == [OpenPort(transport: "tcp", port: "6379", condition: "ip saddr { 10.0.0.0/8 }")])
        #expect(differences.firewall.closed == [OpenPort(transport: "tcp", port: "6379")])
        #expect(differences.count == 10)

        #expect(steps.finishedSteps == ["launch", "mount image 1/2", "read image 1/2", "mount image 2/2", "read image 2/2"])
        #expect(try shell("sha256sum \(fixture.before.path) \(fixture.after.path)") == checksums)
        #expect(temporaryFolders.isEmpty, "\(temporaryFolders)")
        #expect(processes(mentioning: fixture.folder.path).isEmpty, "an appliance was left running")
    }

    @Test("an image with no root filesystem is bad input naming it and what it holds; a missing one too, before any launch")
    func badInput() async throws {
        let fixture = try DiffFixture()
        defer { fixture.remove() }
        let blank = fixture.folder.appendingPathComponent("blank.raw")
        try shell("truncate -s 16M \(blank.path) && printf 'label: dos\\n2048,,83\\n' | sfdisk -q \(blank.path)")
        let noRoot = await #expect(throws: DiffError.self) { try await diff(fixture.before, blank) }
        #expect(noRoot == .noRootFilesystem(path: blank.path, seen: ["/dev/sdb1 (no filesystem)"]))
        #expect(noRoot?.description.contains("\(blank.path) holds no root filesystem") == true)

        let missing = fixture.folder.appendingPathComponent("missing.qcow2")
        let started = ContinuousClock.now
        let error = await #expect(throws: DiffError.self) { try await diff(missing, fixture.after) }
        guard case .badImage(let path, _) = error else {
            Issue.record("expected badImage, got \(String(describing: error))")
            return
        }
        #expect(path == missing.path)
        #expect(ContinuousClock.now - started < .seconds(2), "a missing image must be refused before the appliance starts")
        #expect(temporaryFolders.isEmpty, "\(temporaryFolders)")
    }
}
