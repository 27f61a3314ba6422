import Foundation
import Reporting

/// An exclusive `flock` on the cache folder, held while a build bootstraps or runs apt against the shared
/// package cache; a second build waits (and says so) instead of failing on apt's own lock.
final class CacheLock {
    private let descriptor: Int32
    private var released = false

    /// Takes the lock, polling so that the wait stays cancellable.
    init(cache: URL, progress: ProgressHandler) async throws {
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        let path = cache.appendingPathComponent("build.lock").path
        descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw BuildError.stepFailed(step: "cache lock", reason: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        var announced = false
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            if !announced {
                progress(.note("waiting for another dibkit build using \(cache.path)"))
                announced = true
            }
            do {
                try await Task.sleep(for: .milliseconds(500))
            } catch {
                close(descriptor)
                throw error
            }
        }
    }

    /// Releases the lock; also done when the lock is dropped, e.g. when a step fails.
    func release() {
        guard !released else { return }
        released = true
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    deinit { release() }
}
