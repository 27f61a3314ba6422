public import Reporting

/// What went wrong uploading to DigitalOcean, said so that the user knows what to do next (a service's error
/// answer is a `ServiceError`). Texts that came from a server have been through `SecretRedactor`.
public enum DigitalOceanError: ClassifiedError, CustomStringConvertible, Sendable, Equatable {
    /// Input refused before any network work: missing credentials, an unknown region, an unreadable image.
    case invalidInput(String)
    /// DigitalOcean ended a custom-image import as `deleted`.
    case importFailed(imageID: Int, message: String, hint: String)
    /// A copy of the image to another region ended `errored`.
    case transferFailed(imageID: Int, region: String, actionID: Int)
    /// The staged object is not what DigitalOcean needs to fetch (size, public read).
    case stagingCheckFailed(String)
    /// The deadline passed; the text says what was still running and what to do.
    case timedOut(String)

    /// Errors found in the input, before anything was sent, are bad input.
    public var failureKind: FailureKind {
        if case .invalidInput = self { return .badInput }
        return .failed
    }

    public var description: String {
        switch self {
        case .invalidInput(let text):
            return text
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
