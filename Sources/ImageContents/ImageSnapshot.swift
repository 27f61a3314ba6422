import Foundation

/// What `dibkit diff` compares in one image, all read from its files (nothing runs in the image): the
/// packages dpkg installed, every file and symlink under `/etc`, the systemd units enabled or masked there,
/// and the ports its nftables configuration opens.
public struct ImageSnapshot: Sendable, Equatable {
    /// Installed packages: name → version (see `InstalledPackages`).
    public var packages: [String: String]
    /// Every regular file and symlink under `/etc`, by absolute path.
    public var etc: [String: EtcEntry]
    /// Units enabled or masked in `/etc/systemd/system`.
    public var services: EnabledServices
    /// What `/etc/nftables.conf` lets in.
    public var firewall: Firewall

    /// A snapshot of an image's files.
    /// - Parameters:
    ///   - dpkgStatus: the image's `/var/lib/dpkg/status`; nil when it has none (no packages then).
    ///   - etc: the files and symlinks under its `/etc`.
    public init(dpkgStatus: String?, etc files: [EtcFile]) {
        packages = dpkgStatus.map(InstalledPackages.parse) ?? [:]
        let owners = OwnerNames(files)
        etc = Dictionary(files.map { ($0.path, EtcEntry($0, owners: owners)) }, uniquingKeysWith: { _, last in last })
        services = EnabledServices(etc: etc)
        var texts: [String: String] = [:]
        for file in files { if case .regular(let data) = file.content { texts[file.path] = String(decoding: data, as: UTF8.self) } }
        firewall = Firewall(etc: texts)
    }
}
