import ArgumentParser
import CloudHTTP
import Foundation
import Reporting

/// Turns a library error into the CLI's output and exit status, the same for every command: `error: …` on
/// standard error (and `{"error": …}` on standard output with `--json`); the exit status from the error's
/// `FailureKind` (2 bad input, 1 failed, 130 interrupted). With a redactor, the message never shows the
/// secrets it knows.
struct CommandFailure: Error, CustomStringConvertible {
    let underlying: any Error
    let json: Bool
    let redactor: SecretRedactor?
    /// The exit status of a failure that is neither bad input nor an interruption: 1, except for `diff`,
    /// whose 1 means "the images differ" and whose trouble is 2, as diff(1)'s is.
    let failedStatus: Int32

    init(_ underlying: any Error, json: Bool, redactor: SecretRedactor? = nil, failedStatus: Int32 = FailureKind.failed.exitStatus) {
        self.underlying = underlying
        self.json = json
        self.redactor = redactor
        self.failedStatus = failedStatus
    }

    var description: String {
        let text = String(describing: underlying)
        return redactor?.redact(text) ?? text
    }

    var exitStatus: Int32 {
        switch underlying {
        case is Interruption.Interrupted: FailureKind.interrupted.exitStatus
        case let failure as CommandFailure: failure.exitStatus
        default: failureKind(of: underlying) == .failed ? failedStatus : failureKind(of: underlying).exitStatus
        }
    }
}

extension Dibkit {
    /// Reports a failure the way every subcommand does, then exits with its status.
    static func exit(reporting failure: CommandFailure) -> Never {
        if failure.json {
            let payload = ["error": failure.description]
            if let data = try? JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys]) {
                FileHandle.standardOutput.write(data + Data("\n".utf8))
            }
        }
        FileHandle.standardError.write(Data("error: \(failure.description)\n".utf8))
        Foundation.exit(failure.exitStatus)
    }
}
