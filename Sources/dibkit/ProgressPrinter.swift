import CloudHTTP
import Foundation
import Reporting
import Synchronization

/// The one printer of progress for every command, on standard error: a line per step, hook, note and state,
/// each with the elapsed time; on a terminal also one self-rewriting line of bytes done (at most five updates
/// a second). Silent with `--json`. Every text goes through the redactor, when there is one.
final class ProgressPrinter: Sendable {
    private struct State {
        var bytesLineOpen = false
        var lastBytesShown: ContinuousClock.Instant?
        var lastStatus: String?
    }

    private let quiet: Bool
    private let terminal: Bool
    private let redactor: SecretRedactor?
    private let start = ContinuousClock.now
    private let state = Mutex(State())

    init(quiet: Bool, redactor: SecretRedactor? = nil) {
        self.quiet = quiet
        self.terminal = isatty(STDERR_FILENO) == 1
        self.redactor = redactor
    }

    /// Prints one event; pass as a `ProgressHandler`.
    @Sendable func handle(_ event: ProgressEvent) {
        guard !quiet else { return }
        switch event {
        case .stepStarted(let step, let detail): line("▸ \(step)" + (detail.map { " (\($0))" } ?? ""))
        case .stepFinished(let step, let seconds): line("✓ \(step) \(String(format: "%.1fs", seconds))")
        case .detail(let text): line("    \(text)")
        case .note(let text): line("  \(text)")
        case .status(let text): status(text)
        case .retrying(let text): line("  ↻ \(text)")
        case .passed(let check): line("ok: \(check)")
        case .bytes(let step, let done, let total): showBytes(step, done, total)
        }
    }

    /// Prints one line prefixed with the elapsed time.
    func line(_ text: String) {
        guard !quiet else { return }
        let elapsed = (ContinuousClock.now - start).inSeconds
        state.withLock { state in
            if state.bytesLineOpen { write("\n") }
            state.bytesLineOpen = false
            write(String(format: "[%6.1fs] ", elapsed) + (redactor?.redact(text) ?? text) + "\n")
        }
    }

    /// Ends the bytes line, if one is open.
    func end() {
        state.withLock { state in
            if state.bytesLineOpen { write("\n") }
            state.bytesLineOpen = false
        }
    }

    /// A state seen while waiting; shown once until it changes.
    private func status(_ text: String) {
        let isNew = state.withLock { state in
            defer { state.lastStatus = text }
            return state.lastStatus != text
        }
        if isNew { line("  \(text)") }
    }

    private func showBytes(_ step: String, _ done: UInt64, _ total: UInt64) {
        guard terminal else { return }
        let now = ContinuousClock.now
        let elapsed = (now - start).inSeconds
        state.withLock { state in
            guard done == total || state.lastBytesShown.map({ now - $0 >= .milliseconds(200) }) ?? true else { return }
            state.lastBytesShown = now
            state.bytesLineOpen = true
            let bytes = "\(Quantities.format(bytes: done)) / \(Quantities.format(bytes: total))"
            write(String(format: "\r[%6.1fs] ", elapsed) + "\(step) \(bytes)\u{1B}[K")
        }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// Writes `value` as pretty JSON on standard output.
func printJSON(_ value: some Encodable) throws {
    FileHandle.standardOutput.write(try Manifest.encoder.encode(value) + Data("\n".utf8))
}
