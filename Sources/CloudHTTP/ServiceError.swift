/// A cloud service's answer that stops the work, said so that the user knows what to do next. Texts that came
/// from a server have been through `SecretRedactor` before they get here.
public enum ServiceError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A service answered `operation` with an error status.
    case service(name: String, operation: String, status: Int, detail: String, hint: String?)
    /// A service answered something that could not be read.
    case unreadableResponse(name: String, operation: String, reason: String)

    public var description: String {
        switch self {
        case .service(let name, let operation, let status, let detail, let hint):
            return "\(name) \(operation): HTTP \(status)\(detail.isEmpty ? "" : ": \(detail)")" + (hint.map { ". \($0)" } ?? "")
        case .unreadableResponse(let name, let operation, let reason):
            return "\(name) \(operation): unexpected answer: \(reason)"
        }
    }
}
