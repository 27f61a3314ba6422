import HostProcesses
import Elements
import Foundation
import ImageBuild
import Testing

extension EndToEnd {
    @Suite("Build failures: clear errors, nothing written, nothing left behind")
    struct BuildFailureTests {
        let tcg = AcceleratorChoice(accelerator: .tcg, reason: "tests")

        @Test("an unknown element names what exists and where dibkit looked, before any work")
        func unknownElement() async throws {
            let fixture = try BuildFixture()
            defer { fixture.remove() }
            let configuration = try fixture.configuration(["redis", "no-such-element"], name: "unknown")
            do {
                _ = try await build(configuration) { _ in }
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
                _ = try await build(configuration) { _ in }
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

        @Test("-p without -v, a version the table lacks, an edition redis lacks and vendor-only databases or versions without -p fail before any work")
        func versionAndPackageErrors() async throws {
            let fixture = try BuildFixture()
            defer { fixture.remove() }
            let files = try UserFiles()
            defer { files.remove() }
            let deb = try VendorPackage(file: try files.deb("dibkit-probe", depends: "jq"))

            var noVersion = try fixture.configuration(["redis"], name: "no-version")
            noVersion.vendorPackage = deb
            await #expect(throws: BuildError.vendorPackageNeedsVersion(path: deb.file.path)) {
                try await build(noVersion) { _ in }
            }

            var unknownVersion = try fixture.configuration(["redis"], name: "unknown-version")
            unknownVersion.version = "9.9.1"
            let versionError = await #expect(throws: ElementError.self) { try await build(unknownVersion) { _ in } }
            let versionMessage = versionError?.description ?? ""
            #expect(versionMessage.contains("9.9.1") && versionMessage.contains("distro") && versionMessage.contains("7.0"), "\(versionMessage)")
            #expect(versionMessage.contains("vendor") && versionMessage.contains("7.4"), "\(versionMessage)")

            var enterprise = try fixture.configuration(["redis"], name: "enterprise")
            enterprise.edition = .enterprise
            let editionMessage = (await #expect(throws: ElementError.self) { try await build(enterprise) { _ in } })?.description ?? ""
            #expect(editionMessage.contains("enterprise") && editionMessage.contains("redis"), "\(editionMessage)")

            // MySQL is in sid (and Ubuntu's releases) only: on trixie it is the vendor's package or another release.
            let mysql = try fixture.configuration(["mysql"], name: "mysql")
            let mysqlError = await #expect(throws: ElementError.self) { try await build(mysql) { _ in } }
            #expect(mysqlError == .noVersionForRelease(
                element: "mysql", release: "trixie", available: ["sid: 9.7", "noble: 8.0", "jammy: 8.0"], vendor: ["8.0", "8.4"]))
            #expect(mysqlError?.description.hasSuffix(
                "Pick one of those releases with --release, or give the vendor's package with -p FILE and -v VERSION (vendor: 8.0, 8.4)") == true,
                "\(mysqlError?.description ?? "")")
            #expect(ElementError.needsUserPackage(element: "mysql", requested: nil, supported: ["vendor": ["8.0", "8.4"]])
                .description == "mysql is not in the Debian archive: it installs only from the vendor's package. Pass it "
                + "with -p FILE (a .deb, or a tarball with setup.sh at its root) and its version with -v VERSION; "
                + "supported versions: vendor: 8.0, 8.4")
            let mongodb = try fixture.configuration(["mongodb"], name: "mongodb")
            let mongoMessage = (await #expect(throws: ElementError.self) { try await build(mongodb) { _ in } })?.description ?? ""
            #expect(mongoMessage.hasSuffix(", -c or -e for the edition; supported versions: community vendor: 6.0, 7.0; "
                + "enterprise vendor: 6.0, 7.0"), "\(mongoMessage)")
            var redisVendorOnly = try fixture.configuration(["redis"], name: "redis-7.2")
            redisVendorOnly.version = "7.2.4"
            let redisMessage = (await #expect(throws: ElementError.self) { try await build(redisVendorOnly) { _ in } })?.description ?? ""
            #expect(redisMessage.hasPrefix("redis 7.2.4 is not in the Debian archive: it installs only from the vendor's package"), "\(redisMessage)")

            #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.images.path).isEmpty)
            #expect(fixture.leftovers.isEmpty)
        }
    }
}
