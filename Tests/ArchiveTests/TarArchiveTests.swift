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

    /// Extracts `tar` untrusted into `target`, expecting the refusal of `entry` for a reason holding `reason`.
    func expectRefusal(of tar: URL, into target: URL, entry: String, reason: String) {
        do {
            try TarArchive.extract(tar, into: target, trust: .untrusted)
            Issue.record("\(tar.lastPathComponent) must be refused")
        } catch ArchiveError.unsafeEntry(_, let refused, let why) {
            #expect(refused == entry)
            #expect(why.contains(reason), "\(why)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
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

    @Test("a top-level symbolic link, as vendors ship them, and links inside the tree extract as links")
    func benignLinks() throws {
        let folder = try TemporaryFolder()
        let tar = try makeTar(folder.url, name: "vendor.tgz", """
            add("redis-7.2", kind=tarfile.DIRTYPE, mode=0o755)
            add("redis-7.2/bin", kind=tarfile.DIRTYPE, mode=0o755)
            add("redis-7.2/bin/redis-server", data=b"server", mode=0o755)
            add("current", kind=tarfile.SYMTYPE, link="redis-7.2")
            add("r", kind=tarfile.SYMTYPE, link="redis-7.2/bin")
            add("redis-7.2/tools", kind=tarfile.SYMTYPE, link="../redis-7.2/bin")
            add("server", kind=tarfile.LNKTYPE, link="redis-7.2/bin/redis-server")
            add("current/README", data=b"through the link")
            """)
        let target = folder.url.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        #expect(try TarArchive.extract(tar, into: target, trust: .untrusted) == 8)
        let files = FileManager.default
        #expect(try files.destinationOfSymbolicLink(atPath: target.path + "/current") == "redis-7.2")
        #expect(try String(contentsOfFile: target.path + "/r/redis-server", encoding: .utf8) == "server")
        #expect(try files.destinationOfSymbolicLink(atPath: target.path + "/redis-7.2/tools") == "../redis-7.2/bin")
        #expect(try String(contentsOfFile: target.path + "/current/tools/redis-server", encoding: .utf8) == "server")
        #expect(try String(contentsOfFile: target.path + "/server", encoding: .utf8) == "server")
        #expect(try String(contentsOfFile: target.path + "/redis-7.2/README", encoding: .utf8) == "through the link")
    }

    @Test("untrusted archives: hostile entries are refused by name, and nothing is written", arguments: [
        ("abs.tar", "add(\"/etc/evil\", data=b\"x\")", "/etc/evil", "absolute path"),
        ("dotdot.tar", "add(\"a/../../evil\", data=b\"x\")", "a/../../evil", "'..'"),
        ("link.tar", "add(\"out\", kind=tarfile.SYMTYPE, link=\"../../etc\")", "out", "points outside"),
        ("abslink.tar", "add(\"out\", kind=tarfile.SYMTYPE, link=\"/etc/shadow\")", "out", "points outside"),
        ("hard.tar", "add(\"h\", kind=tarfile.LNKTYPE, link=\"../x\")", "h", "hard link"),
        ("dev.tar", "add(\"null\", kind=tarfile.CHRTYPE)", "null", "device node"),
        ("inner-dotdot.tar", "add(\"top/../evil\", data=b\"x\")", "top/../evil", "'..'"),
        // Chains: each link looks harmless on its own, together they lead out of the root.
        ("chain.tar", """
            add("top", kind=tarfile.DIRTYPE)
            add("top/d", kind=tarfile.SYMTYPE, link=".")
            add("top/d/f", kind=tarfile.SYMTYPE, link="../..")
            add("top/d/f/evil", data=b"x")
            """, "top/d/f", "points outside"),
        ("through-link.tar", """
            add("top", kind=tarfile.DIRTYPE)
            add("top/b", kind=tarfile.SYMTYPE, link=".")
            add("top/c", kind=tarfile.SYMTYPE, link="b/../..")
            """, "top/c", "points outside"),
        ("hard-to-symlink.tar", """
            add("top/d", kind=tarfile.DIRTYPE)
            add("top/d/up", kind=tarfile.SYMTYPE, link="..")
            add("h", kind=tarfile.LNKTYPE, link="top/d/up")
            add("h/evil", data=b"x")
            """, "h", "points outside"),
    ])
    func hostileEntries(name: String, entry: String, path: String, reason: String) throws {
        let folder = try TemporaryFolder()
        let tar = try makeTar(folder.url, name: name, "add(\"fine\", data=b\"ok\")\n" + entry)
        let scratch = folder.url.appendingPathComponent("scratch")
        let target = scratch.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        expectRefusal(of: tar, into: target, entry: path, reason: reason)
        #expect(try FileManager.default.contentsOfDirectory(atPath: target.path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["out"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).sorted() == [name, "scratch"].sorted())
    }

    @Test("the writer resolves every entry beneath the root: a link already in the destination is not followed out")
    func existingLinkInDestination() throws {
        let folder = try TemporaryFolder()
        let tar = try makeTar(folder.url, name: "plain.tar", """
            add("fine", kind=tarfile.DIRTYPE)
            add("fine/file", data=b"ok")
            add("link/evil", data=b"x")
            """)
        let outside = folder.url.appendingPathComponent("outside")
        let target = folder.url.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: target.path + "/link", withDestinationPath: outside.path)
        expectRefusal(of: tar, into: target, entry: "link/evil", reason: "outside")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: target.path) == ["link"], "what was written before is removed")
    }

    @Test("extraction onto a full disk names the cause, trusted (libarchive's writer) and untrusted (dibkit's)",
          .enabled(if: SmallTmpfs.canMount, "mounting a tmpfs needs root"), arguments: [true, false])
    func fullDisk(trusted: Bool) throws {
        let folder = try TemporaryFolder()
        let tar = try makeTar(folder.url, name: "big.tar", """
            import os
            add("big", data=os.urandom(2 << 20))
            """)
        let tmpfs = try SmallTmpfs(size: "1m")
        defer { tmpfs.remove() }
        let error = #expect(throws: ArchiveError.self) {
            try TarArchive.extract(tar, into: tmpfs.url, trust: trusted ? .trusted : .untrusted)
        }
        let message = error.map { String(describing: $0) } ?? ""
        #expect(message.contains("No space left on device"), "\(message)")
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

extension TarArchiveTests {
    @Test("members: each entry's kind, mode and numeric owner in order, a file's contents whole, a hard link its target's")
    func members() throws {
        let folder = try TemporaryFolder()
        let tar = try makeTar(folder.url, name: "etc.tar", """
            add(".", kind=tarfile.DIRTYPE, mode=0o755)
            i = tarfile.TarInfo("./redis.conf"); i.size = 10; i.mode = 0o640; i.uid = 100; i.gid = 101; i.uname = "not-the-image's"
            t.addfile(i, io.BytesIO(b"port 6379\\n"))
            add("./localtime", kind=tarfile.SYMTYPE, link="/usr/share/zoneinfo/Etc/UTC", mode=0o777)
            add("./hard", kind=tarfile.LNKTYPE, link="./redis.conf")
            add("./fifo", kind=tarfile.FIFOTYPE, mode=0o4755)
            """)
        #expect(try TarArchive.members(of: tar) == [
            TarMember(path: "./", kind: .folder, permissions: 0o755, uid: 0, gid: 0),
            TarMember(path: "./redis.conf", kind: .file(Data("port 6379\n".utf8)), permissions: 0o640, uid: 100, gid: 101),
            TarMember(path: "./localtime", kind: .symbolicLink(target: "/usr/share/zoneinfo/Etc/UTC"), permissions: 0o777, uid: 0, gid: 0),
            TarMember(path: "./hard", kind: .file(Data("port 6379\n".utf8)), permissions: 0o644, uid: 0, gid: 0),
            TarMember(path: "./fifo", kind: .special, permissions: 0o4755, uid: 0, gid: 0),
        ])
    }
}
