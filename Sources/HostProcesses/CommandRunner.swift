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
/// cancellation that stops the program's process group (SIGTERM, then SIGKILL after a grace period).
/// Programs start as every child does (`ChildProcess`): default signal handling, a group of their own, and
/// killed when dibkit dies.
public enum CommandRunner {
    /// How many trailing lines a failure keeps.
    public static let tailLines = 40

    /// Runs `arguments` (the program is looked up in PATH) and returns its output.
    /// - Parameters:
    ///   - arguments: program and arguments.
    ///   - environment: the full environment for the child; `nil` inherits dibkit's.
    ///   - label: how errors name this command (e.g. "install.d/20-redis (element redis)").
    ///   - input: bytes for its standard input; nil: `/dev/null`.
    ///   - log: receives every output line (standard output and error), e.g. to write a build log.
    ///   - check: throw `ProcessError.commandFailed` when the status is not zero.
    /// - Throws: `ProcessError.commandFailed`, `ProcessError.toolFailed` (it could not start),
    ///   `ProcessError.cancelled` (the program was stopped, and has ended, before this returns).
    @discardableResult
    public static func run(
        _ arguments: [String], environment: [String: String]? = nil, label: String? = nil,
        input: Data? = nil, log: (@Sendable (String) -> Void)? = nil, check: Bool = true
    ) async throws -> CommandOutput {
        guard let program = arguments.first else {
            throw ProcessError.toolFailed(tool: label ?? "command", message: "no program given")
        }
        try Task.checkCancellation()
        let pipes = try CommandPipes(input: input != nil)
        let child: ChildProcess
        do {
            defer { pipes.closeChildEnds() }
            child = try ChildProcess(
                program, Array(arguments.dropFirst()), environment: environment,
                input: pipes.input, output: pipes.output.write, error: pipes.error.write)
        } catch {
            pipes.closeParentEnds()
            throw error
        }
        if let input, let writer = pipes.inputWriter {
            Thread.detachNewThread {
                let handle = FileHandle(fileDescriptor: writer, closeOnDealloc: true)
                try? handle.write(contentsOf: input)
                try? handle.close()
            }
        }
        let collector = OutputCollector(log: log)
        collector.drain(FileHandle(fileDescriptor: pipes.output.read, closeOnDealloc: true), keepStdout: true)
        collector.drain(FileHandle(fileDescriptor: pipes.error.read, closeOnDealloc: true), keepStdout: false)
        let status = await withTaskCancellationHandler {
            await child.waitForExit()
        } onCancel: {
            child.terminate(grace: .seconds(2))
        }
        if Task.isCancelled { throw ProcessError.cancelled }
        let output = CommandOutput(status: status, standardOutput: collector.stdout, tail: collector.tail)
        if check && status != 0 {
            throw ProcessError.commandFailed(
                label: label ?? arguments.joined(separator: " "), status: status, outputTail: output.tail)
        }
        return output
    }
}

/// A command's standard descriptors: pipes for output and error, and for input when it gets bytes (else
/// `/dev/null`). The child's ends are closed in dibkit once it has started, so end of file comes when it ends.
private struct CommandPipes {
    let output: (read: Int32, write: Int32)
    let error: (read: Int32, write: Int32)
    private let inputPipe: (read: Int32, write: Int32)?
    /// The child's standard input.
    let input: Int32

    init(input: Bool) throws {
        output = try ProcessSpawner.makePipe()
        error = try ProcessSpawner.makePipe()
        inputPipe = input ? try ProcessSpawner.makePipe() : nil
        self.input = inputPipe?.read ?? open("/dev/null", O_RDONLY | O_CLOEXEC)
    }

    /// Where dibkit writes the child's input.
    var inputWriter: Int32? { inputPipe?.write }

    func closeChildEnds() { [output.write, error.write, input].forEach { close($0) } }

    func closeParentEnds() { [output.read, error.read, inputPipe?.write ?? -1].filter { $0 >= 0 }.forEach { close($0) } }
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
