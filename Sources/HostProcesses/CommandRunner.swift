public import Foundation

/// The result of a finished command.
public struct CommandOutput: Sendable {
    /// The command's exit status.
    public let status: Int32
    /// Its captured standard output (standard error is only kept in the tail).
    public let standardOutput: String
    /// The last lines of standard output and error, interleaved, for error messages.
    public let tail: [String]
}

/// Runs host programs with captured output, a bounded tail for errors, an optional log sink, and
/// cancellation that stops the process (SIGTERM, then SIGKILL after a grace period).
public enum CommandRunner {
    /// How many trailing lines a failure keeps.
    public static let tailLines = 40

    /// Runs `arguments` (the program is looked up in PATH) and returns its output.
    /// - Parameters:
    ///   - arguments: program and arguments.
    ///   - environment: the full environment for the child; `nil` inherits dibkit's.
    ///   - label: how errors name this command (e.g. "install.d/20-redis (element redis)").
    ///   - log: receives every output line (standard output and error), e.g. to write a build log.
    ///   - check: throw `ProcessError.commandFailed` when the status is not zero.
    /// - Throws: `ProcessError.commandFailed`, `ProcessError.cancelled`.
    @discardableResult
    public static func run(
        _ arguments: [String], environment: [String: String]? = nil, label: String? = nil,
        input: Data? = nil, log: (@Sendable (String) -> Void)? = nil, check: Bool = true
    ) async throws -> CommandOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let environment { process.environment = environment }
        let outPipe = Pipe(), errPipe = Pipe(), inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        let collector = OutputCollector(log: log)
        try Task.checkCancellation()
        try process.run()
        if let input {
            let writer = inPipe.fileHandleForWriting
            Thread.detachNewThread {
                try? writer.write(contentsOf: input)
                try? writer.close()
            }
        }
        collector.drain(outPipe.fileHandleForReading, keepStdout: true)
        collector.drain(errPipe.fileHandleForReading, keepStdout: false)
        let status = await withTaskCancellationHandler {
            await waitForExit(process)
        } onCancel: {
            stop(process)
        }
        let output = CommandOutput(status: status, standardOutput: collector.stdout, tail: collector.tail)
        if Task.isCancelled { throw ProcessError.cancelled }
        if check && status != 0 {
            throw ProcessError.commandFailed(
                label: label ?? arguments.joined(separator: " "), status: status, outputTail: output.tail)
        }
        return output
    }

    /// SIGTERM now, SIGKILL two seconds later if the process is still there.
    static func stop(_ process: Process) {
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        kill(pid, SIGTERM)
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) {
            if process.isRunning { kill(pid, SIGKILL) }
        }
    }

    private static func waitForExit(_ process: Process) async -> Int32 {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            Thread.detachNewThread {
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            }
        }
    }
}

/// Collects a child's output on reader threads: full stdout, a bounded tail of both streams, a log sink.
private final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var stdoutData = Data()
    private var lastLines: [String] = []
    private var pending = 0
    private let done = NSCondition()
    private let log: (@Sendable (String) -> Void)?

    init(log: (@Sendable (String) -> Void)?) { self.log = log }

    var stdout: String {
        waitForReaders()
        return lock.withLock { String(decoding: stdoutData, as: UTF8.self) }
    }

    var tail: [String] {
        waitForReaders()
        return lock.withLock { lastLines }
    }

    func drain(_ handle: FileHandle, keepStdout: Bool) {
        done.withLock { pending += 1 }
        let thread = Thread { [self] in
            var partial = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                if keepStdout { lock.withLock { stdoutData.append(chunk) } }
                partial.append(chunk)
                while let newline = partial.firstIndex(of: 0x0A) {
                    accept(String(decoding: partial[partial.startIndex..<newline], as: UTF8.self))
                    partial.removeSubrange(partial.startIndex...newline)
                }
            }
            if !partial.isEmpty { accept(String(decoding: partial, as: UTF8.self)) }
            done.withLock {
                pending -= 1
                done.broadcast()
            }
        }
        thread.start()
    }

    private func accept(_ line: String) {
        log?(line)
        lock.withLock {
            lastLines.append(line)
            if lastLines.count > CommandRunner.tailLines { lastLines.removeFirst(lastLines.count - CommandRunner.tailLines) }
        }
    }

    private func waitForReaders() {
        done.withLock { while pending > 0 { done.wait() } }
    }
}
