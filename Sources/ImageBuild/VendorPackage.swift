import Chroot
import DurableFiles
public import Foundation
import Archive

/// The package a user supplies with `-p`, installed instead of the one the database element would pick:
/// a `.deb`, installed inside the root with its dependencies from the archive, or a tar archive (plain,
/// gzip or bzip2) whose root holds a `setup.sh` that is run inside the root.
public struct VendorPackage: Sendable, Equatable {
    /// What the file is, told by its content.
    public enum Kind: String, Sendable, Codable {
        case deb, tarball
    }

    /// The file as given.
    public let file: URL
    public let kind: Kind

    /// The in-root folder the package is staged in, under the hooks folder (`$DIBKIT_VENDOR_PACKAGE`
    /// names the `.deb` or the extracted tree inside it).
    static let stagingFolder = "vendor-package"

    /// Reads `file` and checks it can be installed, writing nothing.
    /// - Throws: `BuildError.badVendorPackage` when the file is missing, neither a `.deb` nor an archive,
    ///   holds an entry that would leave the tree, or a tarball lacks `setup.sh` at its root.
    public init(file: URL) throws {
        self.file = file
        guard let handle = try? FileHandle(forReadingFrom: file) else {
            throw BuildError.badVendorPackage(path: file.path, reason: "cannot be read (does it exist?)")
        }
        let head = (try? handle.read(upToCount: 21)) ?? Data()
        try? handle.close()
        if head.starts(with: Data("!<arch>\ndebian-binary".utf8)) {
            kind = .deb
            return
        }
        kind = .tarball
        let entries: [String]
        do {
            entries = try TarArchive.entries(of: file)
        } catch {
            throw BuildError.badVendorPackage(
                path: file.path, reason: "is neither a .deb nor a tar archive (.tar, .tgz/.tar.gz, .tbz2/.tar.bz2): \(error)")
        }
        do {
            try TarArchive.checkUntrusted(file)
        } catch {
            throw BuildError.badVendorPackage(path: file.path, reason: "\(error)")
        }
        let names = entries.map { $0.hasPrefix("./") ? String($0.dropFirst(2)) : $0 }
        guard names.contains("setup.sh") else {
            let nested = names.filter { $0.hasSuffix("/setup.sh") }.prefix(3)
            let hint = nested.isEmpty ? "" : " (found \(nested.joined(separator: ", ")); put it at the root)"
            throw BuildError.badVendorPackage(
                path: file.path, reason: "has no setup.sh at its root\(hint); a tarball's setup.sh installs the database")
        }
    }

    /// Puts the package under `hooksFolder/vendor-package`: the `.deb` copied, a tarball extracted with
    /// every entry checked first. - Returns: the variables hooks get (`DIBKIT_VENDOR_PACKAGE`, the in-root
    /// path of the `.deb` or of the extracted tree, and `DIBKIT_VENDOR_KIND`, `deb` or `tarball`).
    func stage(into hooksFolder: URL, inRootHooks: String) throws -> [String: String] {
        let folder = hooksFolder.appendingPathComponent(Self.stagingFolder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let inRoot = "\(inRootHooks)/\(Self.stagingFolder)"
        switch kind {
        case .deb:
            let name = file.pathExtension == "deb" ? file.lastPathComponent : file.lastPathComponent + ".deb"
            try FileWriter.copy(file, to: folder.appendingPathComponent(name))
            return ["DIBKIT_VENDOR_PACKAGE": "\(inRoot)/\(name)", "DIBKIT_VENDOR_KIND": kind.rawValue]
        case .tarball:
            let tree = folder.appendingPathComponent("tree")
            try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
            try TarArchive.extract(file, into: tree, trust: .untrusted)
            return ["DIBKIT_VENDOR_PACKAGE": "\(inRoot)/tree", "DIBKIT_VENDOR_KIND": kind.rawValue]
        }
    }
}
