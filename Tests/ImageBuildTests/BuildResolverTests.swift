import Foundation
import TestSupport
import Testing

@testable import ImageBuild

/// The root resolves names with the host's resolver while it is built; the image keeps its own.
@Suite("build: the host's resolver is lent to the root and the image's own comes back")
struct BuildResolverTests {
    static let stub = "../run/systemd/resolve/stub-resolv.conf"

    func root(resolver link: String?) throws -> (TemporaryFolder, URL) {
        let folder = try TemporaryFolder()
        let etc = folder.appendingPathComponent("etc")
        try FileManager.default.createDirectory(at: etc, withIntermediateDirectories: true)
        if let link {
            try FileManager.default.createSymbolicLink(
                atPath: etc.appendingPathComponent("resolv.conf").path, withDestinationPath: link)
        }
        return (folder, etc.appendingPathComponent("resolv.conf"))
    }

    @Test("systemd-resolved's stub link: the host's file during the build, the link again after")
    func keepsTheImagesLink() throws {
        let (folder, file) = try root(resolver: Self.stub)
        let resolver = try BuildResolver.lend(to: folder.url)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: file.path)) == nil)
        #expect(try Data(contentsOf: file) == (try Data(contentsOf: URL(fileURLWithPath: "/etc/resolv.conf"))))
        try resolver.restore(in: folder.url)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: file.path) == Self.stub)
    }

    @Test("no resolver of its own: the host's goes and nothing is left")
    func leavesNothingOfTheHost() throws {
        let (folder, file) = try root(resolver: nil)
        let resolver = try BuildResolver.lend(to: folder.url)
        #expect(FileManager.default.fileExists(atPath: file.path))
        try resolver.restore(in: folder.url)
        #expect(!FileManager.default.fileExists(atPath: file.path))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: file.path)) == nil)
    }

    @Test("a link a package makes in a phase: the host's resolver again for the next phases, the link in the image")
    func lendsAgainAfterAPhase() throws {
        let (folder, file) = try root(resolver: nil)
        var resolver = try BuildResolver.lend(to: folder.url)
        try FileManager.default.removeItem(at: file)
        try FileManager.default.createSymbolicLink(atPath: file.path, withDestinationPath: Self.stub)
        resolver = try resolver.afterPhase(in: folder.url)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: file.path)) == nil)
        #expect(try Data(contentsOf: file) == (try Data(contentsOf: URL(fileURLWithPath: "/etc/resolv.conf"))))
        try resolver.restore(in: folder.url)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: file.path) == Self.stub)
    }

    @Test("a link a package made during the build is the image's and stays")
    func keepsALinkMadeDuringTheBuild() throws {
        let (folder, file) = try root(resolver: nil)
        let resolver = try BuildResolver.lend(to: folder.url)
        try FileManager.default.removeItem(at: file)
        try FileManager.default.createSymbolicLink(atPath: file.path, withDestinationPath: Self.stub)
        try resolver.restore(in: folder.url)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: file.path) == Self.stub)
    }
}
