public import Reporting
import Foundation

/// What can stop the per-cloud touches `dibkit upload` makes on a copy of the image. The image itself is
/// never changed.
public enum TouchError: ClassifiedError, CustomStringConvertible, Sendable, Equatable {
    /// A Trove agent option is not usable.
    case badTroveSetting(option: String, reason: String)
    /// Trove agent settings were given, but the image holds no template for them.
    case noTroveTemplate(image: String)
    /// The image's template has fields dibkit cannot fill.
    case troveTemplateUnfilled([String])
    /// The image lacks the login user (or its home) the ssh key is for.
    case noLoginUser(String, reason: String)
    /// A keypair was asked for, but nothing says who the image's login user is.
    case loginUserUnknown(image: String)
    /// The copy cannot be made beside the image.
    case folderNotWritable(String)

    public var failureKind: FailureKind { isBadInput ? .badInput : .failed }

    /// True when what the user gave does not fit (the CLI exits 2).
    public var isBadInput: Bool { true }

    public var description: String {
        switch self {
        case .badTroveSetting(let option, let reason):
            return "\(option) \(reason)"
        case .noTroveTemplate(let image):
            return "\(image) has no Trove agent template (\(TroveAgentSettings.templatePath)): build it with "
                + "`DIBKIT_GUEST_AGENT=trove dibkit build DB guest-agent`, or leave out the Trove agent options"
        case .troveTemplateUnfilled(let fields):
            return "the image's Trove agent template has fields dibkit does not fill: \(fields.joined(separator: ", ")) "
                + "(\(TroveAgentSettings.templatePath)); rebuild the image with this dibkit's guest-agent element"
        case .noLoginUser(let user, let reason):
            return "cannot install the keypair for login user '\(user)': \(reason); pass the image's user with --login-user"
        case .loginUserUnknown(let image):
            return "\(image) has no manifest (NAME.json) beside it to tell its login user: pass --login-user"
        case .folderNotWritable(let folder):
            return "cannot make the touched copy in \(folder) (not writable); the copy must sit beside the image: "
                + "copy the image to a writable folder first"
        }
    }
}
