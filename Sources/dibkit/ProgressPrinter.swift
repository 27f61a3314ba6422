import Chroot
import Foundation
import Pipeline

/// Prints build progress to standard error: each step with its elapsed time; silent in `--json` mode.
final class ProgressPrinter: Sendable {
    private let quiet: Bool
    private let start = ContinuousClock.now
    private let lock = NSLock()

    init(quiet: Bool) { self.quiet = quiet }

    func handle(_ event: BuildEvent) {
        guard !quiet else { return }
        switch event {
        case .stepStarted(let name): line("▸ \(name)")
        case .stepFinished(let name, let seconds): line("✓ \(name) \(String(format: "%.1fs", seconds))")
        case .detail(let text): line("    \(text)")
        case .note(let text): line("  \(text)")
        }
    }

    /// Prints one line prefixed with the elapsed time.
    func line(_ text: String) {
        guard !quiet else { return }
        let seconds = (ContinuousClock.now - start).inSeconds
        lock.withLock { FileHandle.standardError.write(Data(String(format: "[%6.1fs] ", seconds).appending(text + "\n").utf8)) }
    }
}

/// Writes `value` as pretty JSON on standard output.
func printJSON(_ value: some Encodable) throws {
    FileHandle.standardOutput.write(try Manifest.encoder.encode(value) + Data("\n".utf8))
}
