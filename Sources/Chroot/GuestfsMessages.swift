internal import CGuestfs
import Foundation

/// What libguestfs said during the current call: its error messages (libguestfs keeps its error handler
/// per thread, so each call installs this collector on the thread it runs on) and the tail of the
/// appliance's console (kernel and daemon lines), which explains an appliance that died.
final class GuestfsMessages: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [String] = []
    private var console: [String] = []
    private var partialLine = ""
    private static let consoleLines = 30

    /// Starts a call: forgets earlier errors and routes this thread's libguestfs errors here.
    func begin(on handle: OpaquePointer, _ guestfs: cguestfs_api) {
        lock.withLock { errors.removeAll() }
        guestfs.set_error_handler(handle, collectError, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Subscribes to the appliance's console output (needs the handle's verbose mode). The library's own
    /// debug, warning and trace messages are taken too, because libguestfs prints those on standard error
    /// when nobody takes them; only the console and warnings are kept.
    func followConsole(of handle: OpaquePointer, _ guestfs: cguestfs_api) {
        let events = GUESTFS_EVENT_APPLIANCE | GUESTFS_EVENT_LIBRARY | GUESTFS_EVENT_WARNING | GUESTFS_EVENT_TRACE
        _ = guestfs.set_event_callback(handle, collectConsole, UInt64(events), 0, Unmanaged.passUnretained(self).toOpaque())
    }

    /// The call's error messages, each once, in order.
    var errorMessages: [String] {
        lock.withLock { errors.reduce(into: []) { if !$0.contains($1) { $0.append($1) } } }
    }

    /// The last lines the appliance printed on its console.
    var consoleTail: [String] { lock.withLock { console } }

    fileprivate func addError(_ message: String) { lock.withLock { errors.append(message) } }

    fileprivate func addConsole(_ text: String) {
        lock.withLock {
            let lines = (partialLine + text).split(separator: "\n", omittingEmptySubsequences: false)
            partialLine = String(lines.last ?? "")
            console += lines.dropLast().map { $0.trimmingCharacters(in: .controlCharacters) }.filter { !$0.isEmpty }
            if console.count > Self.consoleLines { console.removeFirst(console.count - Self.consoleLines) }
        }
    }
}

private let collectError: guestfs_error_handler_cb = { _, opaque, message in
    guard let opaque, let message else { return }
    Unmanaged<GuestfsMessages>.fromOpaque(opaque).takeUnretainedValue().addError(String(cString: message))
}

private let collectConsole: guestfs_event_callback = { _, opaque, event, _, _, buffer, length, _, _ in
    let kept = UInt64(GUESTFS_EVENT_APPLIANCE | GUESTFS_EVENT_WARNING)
    guard let opaque, let buffer, length > 0, event & kept != 0 else { return }
    let text = String(decoding: UnsafeRawBufferPointer(start: buffer, count: length), as: UTF8.self)
    Unmanaged<GuestfsMessages>.fromOpaque(opaque).takeUnretainedValue().addConsole(text)
}
