import Chroot
import Cloud
import Foundation
import OpenStack
import Pipeline
import Synchronization
import CloudHTTP

/// Prints an upload's progress (DigitalOcean's or Glance's) on standard error: a line per phase and per state seen while waiting, each
/// with the elapsed time; on a terminal also one self-rewriting line of bytes done and rate (at most five
/// updates a second). Silent with `--json`. Every text goes through the redactor.
final class UploadProgressPrinter: Sendable {
    private struct State {
        var bytesLineOpen = false
        var lastBytesShown: ContinuousClock.Instant?
        var lastStatus: String?
    }

    private let quiet: Bool
    private let terminal: Bool
    private let redactor: SecretRedactor
    private let start = ContinuousClock.now
    private let state = Mutex(State())

    init(quiet: Bool, terminal: Bool, redactor: SecretRedactor) {
        self.quiet = quiet
        self.terminal = terminal
        self.redactor = redactor
    }

    func handle(_ event: UploadEvent) {
        guard !quiet else { return }
        switch event {
        case .started(let phase, let detail): line("▸ \(phase.rawValue) \(detail)")
        case .finished(let phase, let seconds, _): line("✓ \(phase.rawValue) \(String(format: "%.1fs", seconds))")
        case .status(let text): status(text)
        case .retrying(let text): retrying(text)
        case .bytes(let phase, let done, let total): showBytes(phase.rawValue, done, total)
        }
    }

    func handle(_ event: GlanceUploadEvent) {
        guard !quiet else { return }
        switch event {
        case .started(let phase, let detail): line("▸ \(phase.rawValue) \(detail)")
        case .finished(let phase, let seconds): line("✓ \(phase.rawValue) \(String(format: "%.1fs", seconds))")
        case .status(let text): status(text)
        case .bytes(let done, let total): showBytes(GlanceUploadPhase.uploading.rawValue, done, total)
        }
    }

    /// The steps and notes of the per-cloud touches (`upload --cloud openstack` with -k or Trove settings).
    func handle(_ event: BuildEvent) {
        guard !quiet else { return }
        switch event {
        case .stepStarted(let step): line("▸ \(step)")
        case .stepFinished(let step, let seconds): line("✓ \(step) \(String(format: "%.1fs", seconds))")
        case .detail(let text), .note(let text): line("  \(text)")
        }
    }

    /// A request is sent again after a wait, and why.
    func retrying(_ text: String) {
        guard !quiet else { return }
        line("  ↻ \(text)")
    }

    /// A state seen while waiting; shown once until it changes.
    private func status(_ text: String) {
        let isNew = state.withLock { state in
            defer { state.lastStatus = text }
            return state.lastStatus != text
        }
        if isNew { line("  \(text)") }
    }

    /// Ends the bytes line, if one is open.
    func end() {
        state.withLock { state in
            if state.bytesLineOpen { write("\n") }
            state.bytesLineOpen = false
        }
    }

    private func line(_ text: String) {
        let elapsed = (ContinuousClock.now - start).inSeconds
        state.withLock { state in
            if state.bytesLineOpen { write("\n") }
            state.bytesLineOpen = false
            write(String(format: "[%6.1fs] ", elapsed) + redactor.redact(text) + "\n")
        }
    }

    private func showBytes(_ phase: String, _ done: UInt64, _ total: UInt64) {
        guard terminal else { return }
        let now = ContinuousClock.now
        let elapsed = (now - start).inSeconds
        state.withLock { state in
            guard done == total || state.lastBytesShown.map({ now - $0 >= .milliseconds(200) }) ?? true else { return }
            state.lastBytesShown = now
            state.bytesLineOpen = true
            write(String(format: "\r[%6.1fs] %@ %@ / %@\u{1B}[K", elapsed, phase, formatBytes(done), formatBytes(total)))
        }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
