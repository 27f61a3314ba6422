import CLibarchive
import Archive
import Foundation

/// libFuzzer entry: the bytes become a list of tar entries (folders, files, symbolic and hard links, now
/// and then a FIFO or a device; names and link targets made of `.`, `..`, a few names, and absolute paths
/// into the scratch parent), written by libarchive as a pax archive, then extracted untrusted into a
/// scratch root inside a scratch parent. Any error is a fine outcome; a crash is a finding, and so is
/// (an abort naming it) anything written outside the root, a link to the sentinel file beside the root,
/// a link in the root that resolves outside it, a special file in the root, or a refused archive that
/// left something in the root. See scripts/fuzz-tar.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var input = FuzzInput(bytes: UnsafeBufferPointer(start: data, count: size))
    let entries = input.entries()
    guard Scratch.write(entries) else { return 0 }
    Scratch.reset()
    let refused = (try? TarArchive.extract(Scratch.archive, into: Scratch.root, trust: .untrusted)) == nil
    Scratch.check(refused: refused, entries: entries)
    return 0
}

/// One tar entry to write.
struct FuzzEntry: CustomStringConvertible {
    enum Kind: CaseIterable { case folder, file, symbolicLink, hardLink, fifo, device }
    var kind: Kind
    var name: String
    var target = ""

    var description: String { "\(kind) \(name)" + (target.isEmpty ? "" : " -> \(target)") }
}

/// Reads entries from the fuzzer's bytes: per entry a kind, then its name and (links) its target, each a
/// count byte (1–4 components; bit 7: absolute, into the scratch parent) and a byte per component.
struct FuzzInput {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    static let components = ["a", "b", "c", ".", "..", "", "root", "sentinel"]
    static let kinds: [FuzzEntry.Kind] = [.folder, .file, .file, .symbolicLink, .symbolicLink, .symbolicLink, .hardLink, .hardLink, .fifo, .device]

    mutating func next() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func entries() -> [FuzzEntry] {
        var entries: [FuzzEntry] = []
        while entries.count < 32, let kind = next() {
            var entry = FuzzEntry(kind: Self.kinds[Int(kind) % Self.kinds.count], name: path())
            if [.symbolicLink, .hardLink].contains(entry.kind) { entry.target = path() }
            entries.append(entry)
        }
        return entries
    }

    private mutating func path() -> String {
        let shape = next() ?? 0
        let parts = (0...Int(shape & 3)).map { _ in Self.components[Int(next() ?? 0) % Self.components.count] }
        let relative = parts.joined(separator: "/")
        return shape & 0x80 != 0 ? Scratch.parent.path + "/" + relative : relative
    }
}

/// The fuzzing process's scratch folders, in the working directory (scripts/fuzz-tar removes them):
/// `tarfuzz-PID/archive.tar`, and `tarfuzz-PID/parent/` holding the extraction `root` and a `sentinel` file.
enum Scratch {
    static let base = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("tarfuzz-\(getpid())")
    static let archive = base.appendingPathComponent("archive.tar")
    static let parent = base.appendingPathComponent("parent")
    static let root = parent.appendingPathComponent("root")
    static let sentinel = parent.appendingPathComponent("sentinel")
    static let workingFolder = FileManager.default.currentDirectoryPath

    /// Writes `entries` as a pax archive; false when libarchive cannot open it.
    static func write(_ entries: [FuzzEntry]) -> Bool {
        try? FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        guard let writer = archive_write_new() else { return false }
        defer { archive_write_free(writer) }
        archive_write_set_format_pax_restricted(writer)
        guard archive_write_open_filename(writer, archive.path) == ARCHIVE_OK else { return false }
        let data = Array("data\n".utf8)
        for item in entries {
            guard let entry = archive_entry_new() else { return false }
            defer { archive_entry_free(entry) }
            archive_entry_set_pathname(entry, item.name)
            archive_entry_set_perm(entry, 0o755)
            switch item.kind {
            case .folder: archive_entry_set_filetype(entry, clibarchive_ifdir)
            case .file:
                archive_entry_set_filetype(entry, clibarchive_ifreg)
                archive_entry_set_size(entry, la_int64_t(data.count))
            case .symbolicLink:
                archive_entry_set_filetype(entry, clibarchive_iflnk)
                archive_entry_set_symlink(entry, item.target)
            case .hardLink:
                archive_entry_set_filetype(entry, clibarchive_ifreg)
                archive_entry_set_hardlink(entry, item.target)
            case .fifo: archive_entry_set_filetype(entry, clibarchive_ififo)
            case .device: archive_entry_set_filetype(entry, clibarchive_ifchr)
            }
            guard archive_write_header(writer, entry) == ARCHIVE_OK else { continue }
            if item.kind == .file { _ = archive_write_data(writer, data, data.count) }
        }
        return archive_write_close(writer) == ARCHIVE_OK
    }

    /// An empty root beside the sentinel.
    static func reset() {
        try? FileManager.default.removeItem(at: root)
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: sentinel.path) {
            FileManager.default.createFile(atPath: sentinel.path, contents: Data("sentinel".utf8))
        }
    }

    /// Aborts, naming what is wrong and the entries, when anything lies outside the root that should not,
    /// or the root holds what it should not.
    static func check(refused: Bool, entries: [FuzzEntry]) {
        func finding(_ what: String) -> Never {
            FileHandle.standardError.write(Data("FINDING: \(what)\nentries:\n\(entries.map { "  \($0)" }.joined(separator: "\n"))\n".utf8))
            abort()
        }
        let files = FileManager.default
        if (try? files.contentsOfDirectory(atPath: base.path).sorted()) != ["archive.tar", "parent"] {
            finding("\(base.path) holds \((try? files.contentsOfDirectory(atPath: base.path)) ?? [])")
        }
        if (try? files.contentsOfDirectory(atPath: parent.path).sorted()) != ["root", "sentinel"] {
            finding("\(parent.path) holds \((try? files.contentsOfDirectory(atPath: parent.path)) ?? [])")
        }
        let stray = ((try? files.contentsOfDirectory(atPath: workingFolder)) ?? []).filter { $0 != "corpus" && !$0.hasPrefix("tarfuzz-") }
        if !stray.isEmpty { finding("the working folder holds \(stray)") }
        var status = stat()
        guard lstat(sentinel.path, &status) == 0, status.st_mode & S_IFMT == S_IFREG, status.st_nlink == 1,
            (try? String(contentsOf: sentinel, encoding: .utf8)) == "sentinel"
        else { finding("the sentinel was linked to or changed") }
        let inside = ((try? files.contentsOfDirectory(atPath: root.path)) ?? [])
        if refused, !inside.isEmpty { finding("a refused archive left \(inside) in the root") }
        walk(root.path, finding: finding)
    }

    /// Checks every item under `folder` without following links: folders, files and links that resolve
    /// (if at all) inside the root.
    private static func walk(_ folder: String, finding: (String) -> Never) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            let path = folder + "/" + name
            var status = stat()
            guard lstat(path, &status) == 0 else { continue }
            switch status.st_mode & S_IFMT {
            case S_IFDIR: walk(path, finding: finding)
            case S_IFREG: continue
            case S_IFLNK:
                guard let resolved = realpath(path, nil) else { continue }
                defer { free(resolved) }
                let target = String(cString: resolved)
                if target != root.path, !target.hasPrefix(root.path + "/") { finding("\(path) resolves to \(target)") }
            default: finding("\(path) is a special file (mode \(String(status.st_mode, radix: 8)))")
            }
        }
    }
}
