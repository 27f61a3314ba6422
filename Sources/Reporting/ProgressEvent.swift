/// What long work (build, test, convert, patch, upload) reports while it runs, for a terminal or a log.
/// `--json` mode prints none of it. Texts hold no secrets; printers redact again all the same.
public enum ProgressEvent: Sendable, Equatable {
    /// A named step began (`base-root`, `booting`, `staging`…); `detail` says more (an accelerator, a file).
    case stepStarted(String, detail: String? = nil)
    /// A step ended after `seconds`.
    case stepFinished(String, seconds: Double)
    /// A hook or sub-task began inside the current step.
    case detail(String)
    /// Something worth one line to the user (cache hit, accelerator chosen, a choice made).
    case note(String)
    /// A state seen while waiting (`import pending`); shown once until it changes.
    case status(String)
    /// A request is sent again after a wait, and why.
    case retrying(String)
    /// A named check passed.
    case passed(String)
    /// Bytes done of a step that moves bytes; on a terminal one line that rewrites itself.
    case bytes(step: String, done: UInt64, total: UInt64)
}

/// Where progress events go.
public typealias ProgressHandler = @Sendable (ProgressEvent) -> Void
