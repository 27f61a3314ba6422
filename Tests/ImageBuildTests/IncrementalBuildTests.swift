import BootCheck
import Chroot
import Elements
import Foundation
import HostProcesses
import ImageBuild
import Reporting
import TestSupport
import Testing

extension EndToEnd {
    @Suite("Incremental builds: the installed tree from the cache")
    struct IncrementalBuildTests {
        @Test("build redis twice, the second time with a first-boot hook and a post-install.d hook changed: the second starts from the installed tree, skips the phases up to install.d, and its image holds the change and the same packages")
        func configChangeReusesTheInstalledTree() async throws {
            let fixture = try BuildFixture()
            defer { fixture.remove() }
            let elements = fixture.folder.appendingPathComponent("elements")
            let copy = try runCommand(["cp", "-a", try BuiltInElements.directory().path, elements.path])
            try #require(copy.status == 0, "\(copy.output)")
            var configuration = try fixture.configuration(["redis"], name: "redis-incremental")
            configuration.elementSearchPath = [elements]
            let first = try await build(configuration) { _ in }

            // Appended in place: a hook rewritten without its executable bit would be skipped.
            for (path, line) in [("redis/static/usr/lib/dibkit/firstboot.d/50-redis", "# changed after the first build\n"),
                                 ("redis/post-install.d/40-redis-config", "echo changed > /etc/dibkit-incremental-test\n")] {
                let handle = try FileHandle(forWritingTo: elements.appendingPathComponent(path))
                try handle.seekToEnd()
                try handle.write(contentsOf: Data(line.utf8))
                try handle.close()
            }
            let events = EventLog()
            let second = try await build(configuration, progress: events.record)

            #expect(second.installedTreeFromCache == true,
                    "a config change alone reuses the installed tree (unless the mirror changed between the two builds): \(events.notes)")
            let steps = second.phases.map(\.name)
            #expect(!steps.contains("install.d") && !steps.contains("base-root") && steps.contains("post-install.d"), "\(steps)")
            #expect(second.packages == first.packages)
            #expect(first.installedTreeFromCache != nil)

            let accelerator = await AcceleratorChoice.detect()
            let (changedHook, marker) = try await GuestSession.withSession(
                disk: configuration.output, format: "qcow2", accelerator: accelerator.accelerator, readOnly: true
            ) { guest in
                try await guest.mount("/dev/sda1")
                return (String(decoding: try await guest.readFile("/usr/lib/dibkit/firstboot.d/50-redis"), as: UTF8.self),
                        String(decoding: try await guest.readFile("/etc/dibkit-incremental-test"), as: UTF8.self))
            }
            #expect(changedHook.hasSuffix("# changed after the first build\n"))
            #expect(marker == "changed\n")
        }
    }
}
