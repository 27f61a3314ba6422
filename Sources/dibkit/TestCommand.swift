import ArgumentParser
import BootCheck
import Reporting
import Foundation

extension Dibkit {
    /// `dibkit test IMAGE`: boot a built image under qemu and check its database from the host.
    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Boot an image under qemu with a NoCloud seed and check its database from the host.",
            discussion: """
                Boots IMAGE (never modified: the guest writes to a temporary overlay), forwards the database \
                port to 127.0.0.1, checks with the database's own client (RESP for redis and valkey, psql, mariadb) that the \
                password is required and accepted and a query runs, and that no systemd unit failed to start, \
                then powers the guest down and boots it again to check the settings persist and the first-boot \
                step ran only once. \
                Exit status: 0 passed, 1 a check failed, 2 bad input (image, user-data, database), 130 interrupted.
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
            let printer = ProgressPrinter(quiet: json)
            var request = TestRequest(image: URL(fileURLWithPath: image))
            request.userData = userData.map { URL(fileURLWithPath: $0) }
            request.database = database.flatMap(DatabaseKind.init(rawValue:))
            request.reboot = !noReboot
            request.bootTimeout = timeout.map { .seconds($0) }
            request.keepConsole = keepConsole.map { URL(fileURLWithPath: $0) }
            let checked = request
            do {
                let report = try await Interruption.run { try await testImage(checked, progress: printer.handle) }
                if json {
                    try printJSON(Passed(report: report))
                } else {
                    printer.line("passed: \(report.checks.count) checks in \(String(format: "%.1f", report.totalSeconds)) s")
                }
            } catch {
                throw CommandFailure(error, json: json)
            }
        }
    }
}

/// The one JSON object `dibkit test --json` prints when the checks passed.
private struct Passed: Encodable {
    var ok = true
    let report: BootReport
}
