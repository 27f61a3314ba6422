/// Progress of a build, for a terminal or a log. The `--json` CLI mode ignores them.
public enum BuildEvent: Sendable {
    /// A named step began (`base-root`, `install.d`, `disk`…).
    case stepStarted(String)
    /// A step ended after `seconds`.
    case stepFinished(String, seconds: Double)
    /// A hook or sub-task began inside the current step.
    case detail(String)
    /// Something worth one line to the user (cache hit, accelerator chosen…).
    case note(String)
}

/// Where build events go.
public typealias BuildProgress = @Sendable (BuildEvent) -> Void
