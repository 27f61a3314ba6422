/// diskimage-builder's phases, in the order they run.
public enum Phase: String, CaseIterable, Sendable, Codable {
    case root = "root.d"
    case extraData = "extra-data.d"
    case preInstall = "pre-install.d"
    case install = "install.d"
    case postInstall = "post-install.d"
    case blockDevice = "block-device.d"
    case finalise = "finalise.d"
    case cleanup = "cleanup.d"

    /// Whether the phase's hooks run inside the image's root (chrooted) rather than on the host.
    public var runsInTarget: Bool {
        switch self {
        case .preInstall, .install, .postInstall, .finalise: true
        case .root, .extraData, .blockDevice, .cleanup: false
        }
    }

    /// The phases `package-installs.yaml` may name: those that run in the root, where apt works.
    public static var packagePhases: [Phase] { allCases.filter(\.runsInTarget) }
}
