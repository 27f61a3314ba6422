/// The distributions dibkit builds and what differs between them: the operating-system element, the archive's
/// components, its keyring, the suites beside a release.
public enum Distribution: String, Sendable, Codable, CaseIterable {
    case debian, ubuntu

    /// Ubuntu's LTS releases dibkit builds (`--release`; never picked by `-v`).
    public static let ubuntuReleases = ["noble", "jammy"]
    /// Debian's unstable suite: no `-updates` or `-security` suites beside it, and Release files valid a week.
    public static let unstableReleases: Set<String> = ["sid"]

    /// `release` with its distribution's name, e.g. `Debian trixie`, `Ubuntu noble`.
    public static func describe(_ release: String) -> String {
        "\(Distribution(release: release) == .ubuntu ? "Ubuntu" : "Debian") \(release)"
    }

    /// The distribution of `release`: Ubuntu's LTS names, else Debian.
    public init(release: String) {
        self = Self.ubuntuReleases.contains(release) ? .ubuntu : .debian
    }

    /// The archive components builds take packages from.
    public var components: [String] { self == .debian ? ["main"] : ["main", "universe"] }

    /// The built-in element providing `operating-system` for it.
    public var element: String { rawValue }

    /// The archive's keyring, where its keyring package puts it (`debian-archive-keyring`, `ubuntu-keyring`).
    public var keyringPath: String { "/usr/share/keyrings/\(rawValue)-archive-keyring.gpg" }

    /// The package holding the keyring.
    public var keyringPackage: String { self == .debian ? "debian-archive-keyring" : "ubuntu-keyring" }

    /// The release's suites besides itself, each with the mirror serving it: Debian's `-updates` on the
    /// archive mirror and `-security` on the security mirror (sid has neither); Ubuntu's `-updates` and
    /// `-security` both on the archive mirror unless a security mirror is given.
    public func suites(of release: String, mirror: String, securityMirror: String?) -> [(suite: String, mirror: String)] {
        switch self {
        case .debian:
            guard !Self.unstableReleases.contains(release) else { return [(release, mirror)] }
            return [(release, mirror), ("\(release)-updates", mirror)]
                + (securityMirror.map { [("\(release)-security", $0)] } ?? [])
        case .ubuntu:
            return [(release, mirror), ("\(release)-updates", mirror), ("\(release)-security", securityMirror ?? mirror)]
        }
    }
}
