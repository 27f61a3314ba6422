import DebianControl
public import Foundation

/// The packages dpkg has installed in an image's root tree, read from its files: `var/lib/dpkg/status`, and
/// each package's `usr/share/doc/NAME/copyright` (which images keep when they leave the rest of
/// `/usr/share/doc` out). Nothing runs in the tree.
public enum PackageInventory {
    /// The packages of `root` whose dpkg status is `installed`, sorted by name and architecture.
    /// - Throws: `SBOMError.unreadableStatus` when dpkg's status file cannot be read.
    public static func read(root: URL) throws -> [InstalledPackage] {
        let status = root.appendingPathComponent("var/lib/dpkg/status")
        let text: Data
        do {
            text = try Data(contentsOf: status)
        } catch {
            throw SBOMError.unreadableStatus(path: status.path, reason: (error as NSError).localizedDescription)
        }
        return Deb822.stanzas(String(decoding: text, as: UTF8.self)).compactMap { installedPackage($0, root: root) }
            .sorted { ($0.name, $0.architecture) < ($1.name, $1.architecture) }
    }

    /// The package a status paragraph describes, when dpkg has it installed (`Status: install ok installed`;
    /// held or marked for removal, it is still there).
    private static func installedPackage(_ fields: [String: String], root: URL) -> InstalledPackage? {
        guard let name = fields["Package"], let version = fields["Version"],
              fields["Status"]?.split(separator: " ").last == "installed"
        else { return nil }
        // `Source: redis` or, when the binary's version differs from its source's, `Source: redis (5:8.0.2-3)`.
        let source = fields["Source"]?.split(separator: " ", maxSplits: 1).map(String.init) ?? []
        let sourceVersion = source.count == 2 ? source[1].trimmingCharacters(in: CharacterSet(charactersIn: "()")) : version
        let copyright = RootTree.contents(of: "usr/share/doc/\(name)/copyright", in: root)
        return InstalledPackage(
            name: name, version: version, architecture: fields["Architecture"] ?? "all", maintainer: fields["Maintainer"],
            source: source.first ?? name, sourceVersion: sourceVersion,
            licenses: copyright.flatMap { DebianCopyright.licenses(String(decoding: $0, as: UTF8.self)) })
    }
}
