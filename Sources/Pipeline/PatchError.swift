/// What can stop `dibkit patch`. Whatever it is, the image was left as it was.
public enum PatchError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A step's command exited non-zero.
    /// `step` counts from 1 of `steps`; `command` is what ran; `outputTail` its last lines (stdout and stderr).
    case stepFailed(step: Int, steps: Int, label: String, command: String, status: Int32, outputTail: [String])
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

    /// True when what the user gave is wrong (the CLI exits 2), not the patch.
    public var isBadInput: Bool {
        switch self {
        case .badUpload, .badPackageName, .badImage, .nothingToDo, .stepImpossible: true
        case .stepFailed: false
        }
    }

    public var description: String {
        switch self {
        case .stepFailed(let step, let steps, let label, let command, let status, let tail):
            let shown = tail.isEmpty ? "  (no output)" : tail.map { "  | \($0)" }.joined(separator: "\n")
            return "step \(step) of \(steps) (\(label)) failed: `\(command)` exited with status \(status); "
                + "its last output:\n\(shown)\nthe image is unchanged"
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
