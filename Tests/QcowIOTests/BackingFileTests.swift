import Foundation
import QcowIO
import Testing

@Suite("Backing files: read inside the image's folder, elsewhere only when allowed")
struct BackingFileTests {
    /// `images/overlay.qcow2` over `backing` (as stored in its header, raw format); `images/base.raw` and
    /// `secret/data.raw` hold 1 MiB of 0x5a, `images/out-link.raw` links to the secret, `images/disk` is a
    /// block device node.
    func makeOverlay(backing: String) throws -> ImageFolder {
        let folder = try ImageFolder()
        try folder.run(["bash", "-c", """
            set -e; mkdir images secret
            head -c 1M /dev/zero | tr '\\0' 'Z' >secret/data.raw
            cp secret/data.raw images/base.raw
            ln -s ../secret/data.raw images/out-link.raw
            mknod images/disk b 7 0
            qemu-img create -q -f qcow2 -u -b '\(backing)' -F raw images/overlay.qcow2 1M
            """])
        return folder
    }

    @Test("a backing file inside the image's folder is read without asking")
    func inside() async throws {
        let folder = try makeOverlay(backing: "base.raw")
        let result = try await folder.convert("images/overlay.qcow2", "out.raw", ConvertOptions(format: .raw))
        #expect(result.virtualSize == 1 << 20)
        #expect(try Data(contentsOf: folder.path("out.raw")) == Data(repeating: 0x5a, count: 1 << 20))
    }

    @Test("a backing file that is absolute, outside the image's folder, behind a link out of it, or a device is read only when allowed",
          arguments: [
            ("SECRET", "an absolute path"), ("../secret/data.raw", "outside the image's folder"),
            ("out-link.raw", "outside the image's folder"), ("disk", "not a regular file"),
          ])
    func refused(backing: String, reason: String) async throws {
        let secret = "/var/tmp/\(UUID().uuidString.prefix(8))-never-read"
        let folder = try makeOverlay(backing: backing == "SECRET" ? secret : backing)
        let named = backing == "SECRET" ? secret : backing
        do {
            try await folder.convert("images/overlay.qcow2", "out.raw", ConvertOptions(format: .raw))
            Issue.record("the backing file \(named) was read")
        } catch {
            let text = String(describing: error)
            #expect(error is QcowError)
            #expect(text.contains("backing file '\(named)'") && text.contains(reason), "\(text)")
            #expect(text.contains("pass --allow-backing if you trust"), "\(text)")
        }
        #expect(try folder.files() == ["images", "secret"])
        if backing == "../secret/data.raw" || backing == "out-link.raw" {
            var options = ConvertOptions(format: .raw)
            options.allowBacking = true
            try await folder.convert("images/overlay.qcow2", "out.raw", options)
            #expect(try Data(contentsOf: folder.path("out.raw")) == Data(repeating: 0x5a, count: 1 << 20))
        }
    }
}
