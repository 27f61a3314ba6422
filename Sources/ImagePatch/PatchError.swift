public import Reporting
/// What can stop `dibkit patch`. Whatever it is, the image was left as it was.
public enum PatchError: ClassifiedError, CustomStringConvertible, Sendable, Equatable {
    /// A step's command exited non-zero.
    /// `step` counts from 1 of `steps`; `command` is what ran; `outputTail` its last lines (stdout and stderr);
    /// `withoutNetwork`: it ran with the appliance's network off.
    case stepFailed(
        step: Int, steps: Int, label: String, command: String, status: Int32, outputTail: [String],
        withoutNetwork: Bool = false)
    /// Another step could not be carried out (a missing folder or user in the image…).
    case stepImpossible(step: Int, steps: Int, label: String, reason: String)
    /// `--upload` names something that cannot be uploaded.
    case badUpload(String, reason: String)
    /// `--install` names something that is not a Debian package name.
    case badPackageName(String)
    /// The image cannot be patched where it is (missing, or its folder is not writable).
    case badImage(path: String, reason: String)
    /// No steps were given.
    case nothingToDo

    public var failureKind: FailureKind { isBadInput ? .badInput : .failed }

    /// True when what the user gave is wrong (the CLI exits 2), not the patch.
    public var isBadInput: Bool {
        switch self {
        case .badUpload, .badPackageName, .badImage, .nothingToDo, .stepImpossible: true
        case .stepFailed: false
        }
    }

    public var description: String {
        switch self {
        case .stepFailed(let step, let steps, let label, let command, let status, let tail, let withoutNetwork):
            let shown = tail.isEmpty ? "  (no output)" : tail.map { "  | \($0)" }.joined(separator: "\n")
            let hint = withoutNetwork ? "\nit ran without network: pass --network if it needs to download" : ""
            return "step \(step) of \(steps) (\(label)) failed: `\(command)` exited with status \(status); "
                + "its last output:\n\(shown)\(hint)\nthe image is unchanged"
        case .stepImpossible(let step, let steps, let label, let reason):
            return "step \(step) of \(steps) (\(label)) failed: \(reason)\nthe image is unchanged"
        case .badUpload(let argument, let reason):
            return "--upload \(argument): \(reason)"
        case .badPackageName(let name):
            return "--install: '\(name)' is not a Debian package name (letters, digits and . + - : = ~ _ only)"
        case .badImage(let path, let reason):
            return "cannot patch \(path): \(reason)"
        case .nothingToDo:
            return "nothing to do: give at least one -s, --upload, --install or --ssh-key"
        }
    }
}
