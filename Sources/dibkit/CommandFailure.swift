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

    init(_ underlying: any Error, json: Bool, redactor: SecretRedactor? = nil) {
        self.underlying = underlying
        self.json = json
        self.redactor = redactor
    }

    var description: String {
        let text = String(describing: underlying)
        return redactor?.redact(text) ?? text
    }

    var exitStatus: Int32 {
        switch underlying {
        case is Interruption.Interrupted: FailureKind.interrupted.exitStatus
        case let failure as CommandFailure: failure.exitStatus
        default: failureKind(of: underlying).exitStatus
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
