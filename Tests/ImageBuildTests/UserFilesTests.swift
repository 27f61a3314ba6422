import Foundation
import ImageBuild
import TestSupport
import Testing
import Elements

/// Files made at test time for `-p` and `-k`, in their own folder.
struct UserFiles {
    let folder: URL

    init() throws {
        folder = URL(fileURLWithPath: "/var/tmp/dibkit-userfiles-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }

    /// A tarball written by Python's tarfile, which can write any entry, hostile ones included.
    /// `entries` is Python code adding to the open archive `t` (helpers `add_file(name, text, mode)`).
    func tarball(_ name: String, compression: String = "gz", _ entries: String) throws -> URL {
        let url = folder.appendingPathComponent(name)
        let output = try shell("""
            python3 - <<'PY' && echo written
            import io, tarfile
            t = tarfile.open("\(url.path)", "w:\(compression)")
            def add_file(name, text, mode=0o644):
                data = text.encode()
                info = tarfile.TarInfo(name); info.size = len(data); info.mode = mode
                t.addfile(info, io.BytesIO(data))
            def add_entry(name, kind, target=""):
                info = tarfile.TarInfo(name); info.type = kind; info.linkname = target
                if kind == tarfile.CHRTYPE: info.devmajor, info.devminor = 1, 3
                t.addfile(info)
            \(entries)
            t.close()
            PY
            """)
        try #require(output.hasSuffix("written\n"), "python3 could not write \(name)")
        return url
    }

    /// A `.deb` built with dpkg-deb: package `name`, depending on `depends`.
    func deb(_ name: String, depends: String) throws -> URL {
        let tree = folder.appendingPathComponent("\(name)-tree")
        let output = try shell("""
            set -e
            mkdir -p \(tree.path)/DEBIAN \(tree.path)/usr/share/\(name)
            printf 'Package: \(name)\\nVersion: 1.0\\nArchitecture: all\\nMaintainer: dibkit tests <tests@invalid>\\nDepends: \(depends)\\nDescription: dibkit test package\\n' > \(tree.path)/DEBIAN/control
            echo marker > \(tree.path)/usr/share/\(name)/marker
            dpkg-deb --root-owner-group --build \(tree.path) \(folder.path)/\(name).deb >/dev/null && echo built
            """)
        try #require(output == "built\n", "dpkg-deb could not build \(name).deb")
        return folder.appendingPathComponent("\(name).deb")
    }

    /// An ed25519 key pair made by ssh-keygen; returns (private, public).
    func keyPair() throws -> (URL, URL) {
        let key = folder.appendingPathComponent("id_ed25519")
        _ = try shell("ssh-keygen -q -t ed25519 -N '' -C dibkit-test -f \(key.path)")
        let pub = key.appendingPathExtension("pub")
        try #require(FileManager.default.fileExists(atPath: pub.path), "ssh-keygen made no key")
        return (key, pub)
    }

    func text(_ name: String, _ contents: String) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try Data(contents.utf8).write(to: url)
        return url
    }
}

@Suite("-p and -k files are checked before any work")
struct UserFilesTests {
    @Test("a .deb is told by its content, whatever its name")
    func debByContent() throws {
        let files = try UserFiles()
        defer { files.remove() }
        let deb = try files.deb("dibkit-probe", depends: "jq")
        let renamed = files.folder.appendingPathComponent("vendor-package.bin")
        try FileManager.default.copyItem(at: deb, to: renamed)
        #expect(try VendorPackage(file: renamed).kind == .deb)
    }

    @Test("tarballs in tar, gzip and bzip2 with setup.sh at the root are accepted", arguments: ["", "gz", "bz2"])
    func tarballs(compression: String) throws {
        let files = try UserFiles()
        defer { files.remove() }
        let url = try files.tarball("vendor.tar", compression: compression, """
            add_file("./setup.sh", "#!/bin/sh\\necho installing\\n", 0o755); add_file("./bin/tool", "x")
            """)
        #expect(try VendorPackage(file: url).kind == .tarball)
    }

    @Test("hostile tarball entries are refused by name; nothing is extracted", arguments: [
        ("absolute path", #"add_file("/etc/cron.d/evil", "x")"#, "/etc/cron.d/evil"),
        ("path holds '..'", #"add_file("../../etc/passwd", "x")"#, "../../etc/passwd"),
        ("symbolic link to '../../../etc' points outside", #"add_entry("lib", tarfile.SYMTYPE, "../../../etc")"#, "lib"),
        ("hard link to '/etc/shadow': absolute path", #"add_entry("shadow", tarfile.LNKTYPE, "/etc/shadow")"#, "shadow"),
        ("device node", #"add_entry("null", tarfile.CHRTYPE)"#, "null"),
    ])
    func hostile(reason: String, entry: String, path: String) throws {
        let files = try UserFiles()
        defer { files.remove() }
        let url = try files.tarball("hostile.tgz", "add_file(\"setup.sh\", \"true\", 0o755); \(entry)")
        let error = #expect(throws: BuildError.self) { try VendorPackage(file: url) }
        let message = error?.description ?? ""
        #expect(message.contains("-p \(url.path)"))
        #expect(message.contains("refused entry '\(path)'"), "\(message)")
        #expect(message.contains(reason), "\(message)")
        #expect(message.contains("nothing was extracted"))
    }

    @Test("a tarball without setup.sh at its root says so, pointing at a nested one")
    func noSetup() throws {
        let files = try UserFiles()
        defer { files.remove() }
        let nested = try files.tarball("nested.tgz", #"add_file("redis-7.2/setup.sh", "true", 0o755)"#)
        let message = (#expect(throws: BuildError.self) { try VendorPackage(file: nested) })?.description ?? ""
        #expect(message.contains("has no setup.sh at its root") && message.contains("found redis-7.2/setup.sh"), "\(message)")
        let none = try files.tarball("none.tgz", #"add_file("README", "hello")"#)
        let plain = (#expect(throws: BuildError.self) { try VendorPackage(file: none) })?.description ?? ""
        #expect(plain.contains("has no setup.sh at its root") && !plain.contains("found"), "\(plain)")
    }

    @Test("a missing file and one that is neither .deb nor archive are named")
    func unusable() throws {
        let files = try UserFiles()
        defer { files.remove() }
        let missing = files.folder.appendingPathComponent("absent.deb")
        let noFile = (#expect(throws: BuildError.self) { try VendorPackage(file: missing) })?.description ?? ""
        #expect(noFile.contains(missing.path) && noFile.contains("cannot be read"))
        let text = try files.text("notes.txt", "just some words, not an archive\n")
        let notArchive = (#expect(throws: BuildError.self) { try VendorPackage(file: text) })?.description ?? ""
        #expect(notArchive.contains("is neither a .deb nor a tar archive"), "\(notArchive)")
    }

    @Test("ssh public keys pass, with options and comments; a private key and junk are refused by line")
    func keys() throws {
        let files = try UserFiles()
        defer { files.remove() }
        let (privateKey, publicKey) = try files.keyPair()
        let key = try String(contentsOf: publicKey, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let listed = try files.text("keys", "# DBA keys\n\n\(key)\nfrom=\"10.0.0.0/8\",no-pty \(key)\n")
        #expect(try AuthorizedKeys(file: listed).lines == [key, "from=\"10.0.0.0/8\",no-pty \(key)"])

        let secret = (#expect(throws: ElementError.self) { try AuthorizedKeys(file: privateKey) })?.description ?? ""
        #expect(secret.contains("is a private key") && secret.contains(".pub"), "\(secret)")
        let junk = try files.text("junk", "\(key)\nssh-ed25519 not-base64!\n")
        let bad = (#expect(throws: ElementError.self) { try AuthorizedKeys(file: junk) })?.description ?? ""
        #expect(bad.contains("line 2") && bad.contains("is not an ssh public key"), "\(bad)")
        let forged = try files.text("forged", "ssh-rsa \(key.split(separator: " ")[1])\n")
        #expect(throws: ElementError.self) { try AuthorizedKeys(file: forged) }
        let empty = try files.text("empty", "# nothing\n")
        #expect((#expect(throws: ElementError.self) { try AuthorizedKeys(file: empty) })?.description.contains("holds no key") == true)
    }
}
