/// What went wrong talking to a cloud, said so that the user knows what to do next. Texts that came from
/// a server have been through `SecretRedactor` before they get here.
public enum CloudError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Input refused before any network work: missing credentials, an unknown region, an unreadable image.
    case invalidInput(String)
    /// A service answered `operation` with an error status.
    case service(name: String, operation: String, status: Int, detail: String, hint: String?)
    /// A service answered something that could not be read.
    case unreadableResponse(name: String, operation: String, reason: String)
    /// DigitalOcean ended a custom-image import as `deleted`.
    case importFailed(imageID: Int, message: String, hint: String)
    /// A copy of the image to another region ended `errored`.
    case transferFailed(imageID: Int, region: String, actionID: Int)
    /// The staged object is not what DigitalOcean needs to fetch (size, public read).
    case stagingCheckFailed(String)
    /// The deadline passed; the text says what was still running and what to do.
    case timedOut(String)

    /// True for errors found in the input, before anything was sent.
    public var isBadInput: Bool {
        if case .invalidInput = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .invalidInput(let text):
            return text
        case .service(let name, let operation, let status, let detail, let hint):
            return "\(name) \(operation): HTTP \(status)\(detail.isEmpty ? "" : ": \(detail)")" + (hint.map { ". \($0)" } ?? "")
        case .unreadableResponse(let name, let operation, let reason):
            return "\(name) \(operation): unexpected answer: \(reason)"
        case .importFailed(let id, let message, let hint):
            return "DigitalOcean could not import the image (id \(id)): \(message.isEmpty ? "no error message given" : message). \(hint)"
        case .transferFailed(let id, let region, let action):
            return "copying image \(id) to \(region) failed (action \(action)); retry with `doctl compute image-action transfer \(id) --region \(region)`"
        case .stagingCheckFailed(let text):
            return "staged object check failed: \(text)"
        case .timedOut(let text):
            return text
        }
    }
}
