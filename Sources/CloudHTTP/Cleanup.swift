/// Runs `operation` to its end even when the calling task is cancelled: cleanup after Ctrl-C (deleting a
/// half-made image, aborting an upload) must still reach the cloud.
public func runIgnoringCancellation<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await Task.detached(operation: operation).value
}
