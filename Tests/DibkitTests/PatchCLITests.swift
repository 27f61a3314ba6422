import Foundation
import TestSupport
import Testing

@Suite("patch: the binary's bad-input errors (no appliance starts)")
struct PatchCLITests {
    @Test("a missing image, a missing upload, a bad package or nothing to do exit 2 with the reason")
    func badInputExitCodes() throws {
        let missing = try DibkitBinary.run(["patch", "/nonexistent/disk.qcow2", "-s", "true"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot patch /nonexistent/disk.qcow2"), "\(missing.stderr)")
        let upload = try DibkitBinary.run(["patch", "/nonexistent/disk.qcow2", "--upload", "/no/such:/etc/x"])
        #expect(upload.status == 2 && upload.stderr.contains("--upload /no/such:/etc/x"), "\(upload.stderr)")
        let package = try DibkitBinary.run(["patch", "/nonexistent/disk.qcow2", "--install", "redis;rm -rf /"])
        #expect(package.status == 2 && package.stderr.contains("redis;rm -rf /"), "\(package.stderr)")
        let nothing = try DibkitBinary.run(["patch", "/nonexistent/disk.qcow2"])
        #expect(nothing.status == 2 && nothing.stderr.contains("nothing to do"), "\(nothing.stderr)")
    }

    @Test("--json: a failure is one error object on stdout, as for every command")
    func jsonError() throws {
        let missing = try DibkitBinary.run(["patch", "/nonexistent/disk.qcow2", "-s", "true", "--json"])
        #expect(missing.status == 2)
        let object = try JSONSerialization.jsonObject(with: Data(missing.stdout.utf8)) as? [String: String]
        #expect(object?.keys.sorted() == ["error"])
        #expect(missing.stderr.hasPrefix("error: "))
    }
}
