import ArgumentParser
import BootCheck
import Chroot
import Foundation

extension Dibkit {
    /// `dibkit test IMAGE`: boot a built image under qemu and check its database from the host.
    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Boot an image under qemu with a NoCloud seed and check its database from the host.",
            discussion: """
                Boots IMAGE (never modified: the guest writes to a temporary overlay), forwards the database \
                port to 127.0.0.1, checks with the database's own client (redis RESP, psql, mariadb) that the \
                password is required and accepted and a query runs, then powers the guest \
                down and boots it again to check the settings persist and the first-boot step ran only once. \
                Exit status: 0 passed, 1 a check failed, 130 interrupted.
                """)

        @Argument(help: "The image to boot (qcow2 or raw).", completion: .file())
        var image: String

        @Option(help: "A #cloud-config user-data file with a `dibkit.<database>` map (port, password; user, database for SQL).")
        var userData: String?

        @Option(help: "The database in the image (default: read from the image's .json manifest).")
        var database: String?

        @Flag(help: "Print only the final result as JSON on stdout, no progress.")
        var json = false

        @Option(help: "Write the serial console of the boot(s) to this file.")
        var keepConsole: String?

        @Option(help: "Seconds one boot may take until the database answers (default: 600 under TCG, 180 with KVM).")
        var timeout: Int?

        @Flag(help: "Skip the power-down and second boot.")
        var noReboot = false

        func validate() throws {
            if let database, DatabaseKind(rawValue: database) == nil {
                let known = DatabaseKind.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError("unknown database '\(database)'; known: \(known)")
            }
        }

        func run() async throws {
            let imageURL = URL(fileURLWithPath: image)
            let kind: DatabaseKind
            do {
                if let database, let named = DatabaseKind(rawValue: database) {
                    kind = named
                } else if let fromManifest = try DatabaseKind.fromManifest(of: imageURL) {
                    kind = fromManifest
                } else {
                    throw ValidationError(
                        "no manifest \(imageURL.deletingPathExtension().path).json says which database the image "
                            + "holds; pass --database NAME")
                }
                let userDataURL = userData.map { URL(fileURLWithPath: $0) }
                let settings = try userDataURL.map { try DatabaseSettings.read(userData: $0, kind: kind) }
                    ?? DatabaseSettings.random(kind: kind)
                var options = BootCheckOptions(image: imageURL, userData: userDataURL, database: settings)
                options.reboot = !noReboot
                options.bootTimeout = timeout.map { .seconds($0) }
                options.keepConsole = keepConsole.map { URL(fileURLWithPath: $0) }
                try await check(options)
            } catch let error as BootCheckError {
                fail(error.reason, consoleTail: error.consoleTail)
            }
        }

        private func check(_ options: BootCheckOptions) async throws {
            let progress = ProgressPrinter(quiet: json)
            let report: BootReport
            do {
                report = try await Interruption.run {
                    let choice = await AcceleratorChoice.detect()
                    progress.line(choice.summary)
                    try Task.checkCancellation()
                    return try await runBootCheck(options, accelerator: choice) { progress.boot($0) }
                }
            } catch is Interruption.Interrupted {
                progress.line("interrupted; qemu stopped and temporary files removed")
                throw ExitCode(130)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(Result(ok: true, report: report)), as: UTF8.self))
            } else {
                progress.line("passed: \(report.checks.count) checks in \(String(format: "%.1f", report.totalSeconds)) s")
            }
        }

        private func fail(_ reason: String, consoleTail: String?) -> Never {
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                let result = Result(ok: false, error: reason, consoleTail: consoleTail)
                if let data = try? encoder.encode(result) { print(String(decoding: data, as: UTF8.self)) }
            }
            var message = "dibkit test: \(reason)\n"
            if let consoleTail {
                message += "--- last lines of the serial console ---\n"
                message += (consoleTail.isEmpty ? "(the serial console is empty)" : consoleTail) + "\n"
            }
            FileHandle.standardError.write(Data(message.utf8))
            Foundation.exit(1)
        }
    }
}

/// The one JSON object `dibkit test --json` prints.
private struct Result: Encodable {
    var ok: Bool
    var report: BootReport?
    var error: String?
    var consoleTail: String?
}

extension ProgressPrinter {
    /// Prints one boot-check event.
    func boot(_ event: BootEvent) {
        switch event {
        case .started(let phase, let detail): line("▸ \(phase.rawValue) (\(detail))")
        case .finished(let phase, let seconds): line("✓ \(phase.rawValue) \(String(format: "%.1fs", seconds))")
        case .passed(let check): line("ok: \(check)")
        }
    }
}
