import ArgumentParser
import Cloud
import Chroot
import Elements
import Flavors
import OpenStack
import Pipeline
import Foundation
import CloudHTTP

/// Turns a library error into the CLI's output and exit status: the message on standard error (and as
/// `{"error": …}` on standard output with `--json`); 130 after Ctrl-C, 2 for bad input, 1 otherwise.
/// With a redactor, the message never shows the secrets it knows.
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

    var exitCode: ExitCode {
        switch underlying {
        case is Interruption.Interrupted: return ExitCode(130)
        case let failure as CommandFailure: return failure.exitCode
        case is ElementError: return ExitCode(2)
        case let error as BuildError where error.isBadInput: return ExitCode(2)
        case let error as CloudError where error.isBadInput: return ExitCode(2)
        case is FileReadError: return ExitCode(2)
        case let error as PatchError where error.isBadInput: return ExitCode(2)
        case let error as TouchError where error.isBadInput: return ExitCode(2)
        case ChrootError.cancelled: return ExitCode(130)
        case let error as ChrootError where error.isBadInput: return ExitCode(2)
        case is FlavorError: return ExitCode(2)
        case let error as OpenStackError where error.isBadInput: return ExitCode(2)
        default: return ExitCode(1)
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
        Foundation.exit(failure.exitCode.rawValue)
    }
}
