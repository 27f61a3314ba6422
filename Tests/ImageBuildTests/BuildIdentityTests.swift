import Elements
import Foundation
@testable import ImageBuild
import Testing

/// The root filesystem's UUID under SOURCE_DATE_EPOCH: a digest of the build's inputs, not of dibkit's settings.
@Suite("build: the root UUID a reproducible build derives")
struct BuildIdentityTests {
    private func rootUUID(_ environment: [String: String]) throws -> String {
        var settings = BuildSettings(elements: ["redis"])
        settings.mirror = "http://mirror.invalid/debian"
        let configuration = try BuildConfiguration(
            settings, environment: environment.merging(["SOURCE_DATE_EPOCH": "1767225600"]) { $1 },
            currentDirectory: URL(fileURLWithPath: "/repo"))
        let library = try ElementLibrary(searchPath: [try BuiltInElements.directory()])
        let plan = try BuildPlan.resolve(["debian", "redis"], in: library, variables: ["DIB_RELEASE": "trixie", "ARCH": "amd64", "DIBKIT_DB_SOURCE": "distro"], arch: "amd64")
        return try BuildIdentity.rootUUID(of: configuration, plan: plan, vendorPackageSHA256: nil)
    }

    @Test("the same for any accelerator, cache, elements folder or source tag; another hook variable changes it")
    func settingsAreNotInputs() throws {
        let plain = try rootUUID([:])
        #expect(try rootUUID(["DIBKIT_ACCEL": "tcg", "DIBKIT_CACHE_DIR": "/c", "DIBKIT_ELEMENTS_DIR": "/e", "DIBKIT_SOURCE": "ci"]) == plain)
        #expect(try rootUUID(["DIB_DEBUG_TRACE": "1"]) != plain)
        #expect(try rootUUID([:]) == plain)
    }
}
