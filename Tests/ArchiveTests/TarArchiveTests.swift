import Archive
import Foundation
import TestSupport
import Testing

@Suite("TarArchive: libarchive extraction, trusted and untrusted")
struct TarArchiveTests {
    /// Makes a tar with Python's tarfile, which can write any entry, hostile ones included.
    func makeTar(_ folder: URL, name: String, _ entries: String) throws -> URL {
        let tar = folder.appendingPathComponent(name)
        try shell("""
            python3 - <<'PY'
            import io, tarfile
            t = tarfile.open("\(tar.path)", "w:gz" if "\(name)".endswith("gz") else "w")
            def add(name, kind=tarfile.REGTYPE, data=b"", link="", mode=0o644):
                i = tarfile.TarInfo(name); i.type = kind; i.size = len(data) if kind == tarfile.REGTYPE else 0
                i.linkname = link; i.mode = mode
                t.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
            \(entries)
            t.close()
            PY
            """)
        return tar
    }

    @Test("trusted extraction keeps modes, symlinks and hard links")
    func trustedExtraction() throws {
        let folder = try TemporaryFolder()
        let tar = try makeTar(folder.url, name: "ok.tar.gz", """
            add("setup.sh", data=b"#!/bin/sh\\necho hi\\n", mode=0o755)
            add("lib", kind=tarfile.DIRTYPE, mode=0o755)
            add("lib/data", data=b"payload")
            add("lib/alias", kind=tarfile.SYMTYPE, link="data")
            add("lib/hard", kind=tarfile.LNKTYPE, link="lib/data")
            """)
        let target = folder.url.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        let count = try TarArchive.extract(tar, into: target, trust: .untrusted)
        #expect(count == 5)
        let mode = try FileManager.default.attributesOfItem(atPath: target.path + "/setup.sh")[.posixPermissions] as? Int
        #expect(mode == 0o755)
        #expect(try String(contentsOfFile: target.path + "/lib/alias", encoding: .utf8) == "payload")
        #expect(try String(contentsOfFile: target.path + "/lib/hard", encoding: .utf8) == "payload")
    }

    @Test("untrusted archives: hostile entries are refused by name, and nothing is written", arguments: [
        ("abs.tar", "add(\"/etc/evil\", data=b\"x\")", "/etc/evil", "absolute path"),
        ("dotdot.tar", "add(\"a/../../evil\", data=b\"x\")", "a/../../evil", "'..'"),
        ("link.tar", "add(\"out\", kind=tarfile.SYMTYPE, link=\"../../etc\")", "out", "points outside"),
        ("abslink.tar", "add(\"out\", kind=tarfile.SYMTYPE, link=\"/etc/shadow\")", "out", "points outside"),
        ("hard.tar", "add(\"h\", kind=tarfile.LNKTYPE, link=\"../x\")", "h", "hard link"),
        ("dev.tar", "add(\"null\", kind=tarfile.CHRTYPE)", "null", "device node"),
    ])
    func hostileEntries(name: String, entry: String, path: String, reason: String) throws {
        let folder = try TemporaryFolder()
        let tar = try makeTar(folder.url, name: name, "add(\"fine\", data=b\"ok\")\n" + entry)
        let target = folder.url.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        do {
            try TarArchive.extract(tar, into: target, trust: .untrusted)
            Issue.record("\(name) must be refused")
        } catch let error as ArchiveError {
            guard case .unsafeEntry(_, let entryName, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(entryName == path)
            #expect(error.description.contains(reason))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: target.path).isEmpty)
    }

    @Test("a file that is not an archive names the libarchive call that failed")
    func notAnArchive() throws {
        let folder = try TemporaryFolder()
        let junk = folder.url.appendingPathComponent("junk.tar")
        try Data("this is not a tar".utf8).write(to: junk)
        #expect(throws: ArchiveError.self) { try TarArchive.entries(of: junk) }
        do { _ = try TarArchive.entries(of: junk) } catch {
            #expect(String(describing: error).contains("archive_read_open_filename failed: Unrecognized archive format"))
        }
    }
}
