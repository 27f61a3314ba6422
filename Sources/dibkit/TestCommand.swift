public import ArgumentParser
public import BootCheck
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
                With --topology FILE it boots several instances of IMAGE side by side on a private link, each with \
                its own user-data (FILE lists name, address and user_data of each; see docs/elements.md), and checks \
                TLS, client networks, replication and, with Sentinel, failover after stopping the primary's VM. \
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

        @Option(help: "Write the serial console of the boot(s) to this file (with --topology: a folder, one file per instance).")
        var keepConsole: String?

        @Option(help: "Seconds one boot may take until the database answers (default: 600 under TCG, 180 with KVM).")
        var timeout: Int?

        @Flag(help: "Skip the power-down and second boot.")
        var noReboot = false

        @Option(help: "The firmware to boot with: bios (SeaBIOS) or uefi (OVMF, from Debian's ovmf package).")
        var firmware: Firmware = .bios

        @Option(help: "A topology file: several instances of the image on a private link, each with its user-data.",
                completion: .file())
        var topology: String?

        func validate() throws {
            if let database, DatabaseKind(rawValue: database) == nil {
                let known = DatabaseKind.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError("unknown database '\(database)'; known: \(known)")
            }
            if topology != nil, userData != nil || noReboot || firmware != .bios {
                throw ValidationError("--topology gives each instance its user-data and boots each once under BIOS; "
                                      + "drop --user-data, --no-reboot and --firmware")
            }
        }

        func run() async throws {
            if let topology { return try await runTopology(URL(fileURLWithPath: topology)) }
            let printer = ProgressPrinter(quiet: json)
            var request = TestRequest(image: URL(fileURLWithPath: image))
            request.userData = userData.map { URL(fileURLWithPath: $0) }
            request.database = database.flatMap(DatabaseKind.init(rawValue:))
            request.reboot = !noReboot
            request.bootTimeout = timeout.map { .seconds($0) }
            request.keepConsole = keepConsole.map { URL(fileURLWithPath: $0) }
            request.firmware = firmware
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

extension Dibkit.Test {
    /// `--topology FILE`: boot the topology, print its checks (or, with --json, its report).
    func runTopology(_ file: URL) async throws {
        let printer = ProgressPrinter(quiet: json)
        let image = URL(fileURLWithPath: image), kind = database.flatMap(DatabaseKind.init(rawValue:))
        let seconds = timeout.map { Duration.seconds($0) }, consoles = keepConsole.map { URL(fileURLWithPath: $0) }
        do {
            let report = try await Interruption.run {
                try await testTopology(image: image, file: file, database: kind, bootTimeout: seconds,
                                       keepConsoles: consoles, progress: printer.handle)
            }
            if json {
                try printJSON(TopologyPassed(report: report))
            } else {
                let failover = report.failoverSeconds.map { String(format: ", failover %.1f s", $0) } ?? ""
                printer.line("passed: \(report.checks.count) checks in \(String(format: "%.1f", report.totalSeconds)) s "
                             + "(ready \(String(format: "%.1f", report.readySeconds)) s\(failover))")
            }
        } catch {
            throw CommandFailure(error, json: json)
        }
    }
}

/// The one JSON object `dibkit test --topology --json` prints when the checks passed.
private struct TopologyPassed: Encodable {
    var ok = true
    let report: TopologyReport
}

/// The one JSON object `dibkit test --json` prints when the checks passed.
private struct Passed: Encodable {
    var ok = true
    let report: BootReport
}

extension Firmware: ExpressibleByArgument {}
