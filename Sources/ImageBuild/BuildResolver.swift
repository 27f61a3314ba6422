import DurableFiles
import Foundation

/// The root's `/etc/resolv.conf` during a build: the host's, so apt and hooks resolve the mirror, in place of
/// the image's own — a symbolic link such as systemd-resolved's stub — which goes back at the end.
struct BuildResolver {
    /// Where the image's own `/etc/resolv.conf` pointed when the build started; nil when it was not a link.
    let imageLink: String?

    private static let path = "etc/resolv.conf"

    /// Sets the host's resolver in `root`, remembering the image's own link.
    static func lend(to root: URL) throws -> BuildResolver {
        let file = root.appendingPathComponent(path)
        let link = try? FileManager.default.destinationOfSymbolicLink(atPath: file.path)
        try? FileManager.default.removeItem(at: file)
        try FileWriter.copy(URL(fileURLWithPath: "/etc/resolv.conf"), to: file)
        return BuildResolver(imageLink: link)
    }

    /// After a phase: a package that made `/etc/resolv.conf` a link (systemd-resolved's postinst) made the
    /// image's own; the root gets the host's resolver back for the phases after it.
    func afterPhase(in root: URL) throws -> BuildResolver {
        let file = root.appendingPathComponent(Self.path)
        guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: file.path) else { return self }
        try FileManager.default.removeItem(at: file)
        try FileWriter.copy(URL(fileURLWithPath: "/etc/resolv.conf"), to: file)
        return BuildResolver(imageLink: link)
    }

    /// Takes the host's resolver out of `root`. A link a package made during the build is the image's and
    /// stays; otherwise the image's own link, if it had one, is put back.
    func restore(in root: URL) throws {
        let file = root.appendingPathComponent(Self.path)
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: file.path)) != nil { return }
        try? FileManager.default.removeItem(at: file)
        if let imageLink { try FileManager.default.createSymbolicLink(atPath: file.path, withDestinationPath: imageLink) }
    }
}
