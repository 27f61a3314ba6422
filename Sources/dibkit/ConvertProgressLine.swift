import Chroot
import Foundation
import QcowIO
import Synchronization

/// One self-rewriting line on standard error while a conversion runs: phase, elapsed time, bytes done.
/// Used only on a terminal; at most five updates a second.
final class ConvertProgressLine: Sendable {
    private let enabled: Bool
    private let start = ContinuousClock.now
    private let lastShown = Mutex<ContinuousClock.Instant?>(nil)

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ progress: ConvertProgress) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let due = lastShown.withLock { last -> Bool in
            guard progress.phase == .finishing || last.map({ now - $0 >= .milliseconds(200) }) ?? true else { return false }
            last = now
            return true
        }
        guard due else { return }
        let seconds = (now - start).inSeconds
        let text = String(format: "\r[%6.1fs] %@ %@ / %@\u{1B}[K", seconds, progress.phase.rawValue,
                          formatBytes(progress.guestBytesDone), formatBytes(progress.virtualSize))
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Ends the line, if one was shown.
    func end() {
        guard enabled, lastShown.withLock({ $0 != nil }) else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
