import Chroot
import Elements
import Foundation
import Pipeline
import Testing

@Suite("Build failures: clear errors, nothing written, nothing left behind", .tags(.endToEnd), .serialized)
struct BuildFailureTests {
    let tcg = AcceleratorChoice(accelerator: .tcg, reason: "tests")

    @Test("an unknown element names what exists and where dibkit looked, before any work")
    func unknownElement() async throws {
        let fixture = try BuildFixture()
        defer { fixture.remove() }
        let configuration = try fixture.configuration(["redis", "no-such-element"], name: "unknown")
        do {
            _ = try await build(configuration, accelerator: tcg) { _ in }
            Issue.record("an unknown element must fail")
        } catch let error as ElementError {
            let message = error.description
            #expect(message.contains("no-such-element"))
            #expect(message.contains(BuildFixture.fixtureElements.path))
            #expect(message.contains("redis") && message.contains("broken"))
        }
        #expect(!FileManager.default.fileExists(atPath: configuration.output.path))
        #expect(fixture.leftovers.isEmpty)
    }

    @Test("a failing hook names element, phase and script with its last output; no image, no temp dir, no mount")
    func failingHook() async throws {
        let fixture = try BuildFixture()
        defer { fixture.remove() }
        let configuration = try fixture.configuration(["broken"], name: "broken")
        do {
            _ = try await build(configuration, accelerator: tcg) { _ in }
            Issue.record("the broken element must fail the build")
        } catch BuildError.hookFailed(let element, let phase, let hook, let status, let tail, let log) {
            #expect(element == "broken")
            #expect(phase == "install.d")
            #expect(hook == "10-fail")
            #expect(status == 3)
            #expect(tail.contains("about to fail: on purpose"))
            #expect(tail.contains("preparing the broken element"))
            #expect(FileManager.default.fileExists(atPath: log))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.images.path).isEmpty)
        #expect(fixture.leftovers.isEmpty)
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(!mounts.contains(fixture.folder.path))
    }
}
