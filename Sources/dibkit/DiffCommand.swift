import ArgumentParser
import Foundation
import ImageContents
import ImageDiff

extension Dibkit {
    /// `dibkit diff IMAGE1 IMAGE2`: what differs between two images, read offline, with diff(1)'s exit codes.
    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what differs between two images: packages, files under /etc, enabled services, open firewall ports.",
            discussion: """
                Both images are read offline and read-only, in one libguestfs appliance (qcow2 or raw, told by \
                content; each one's root is the first partition whose filesystem mounts and holds /etc). Packages: \
                the ones dpkg installed, with their versions. /etc: every file and symlink, by content (SHA-256) or \
                target, mode and owner. Services: units enabled (links in /etc/systemd/system/*.wants and *.requires) \
                or masked. Firewall: the input policy and the ports /etc/nftables.conf, and the files it includes, \
                accept (a port opened at first boot from user-data is not in the image). In the output, + marks \
                what only IMAGE2 has, - what only IMAGE1 has, ~ what both have in other forms. \
                Exit status, as diff(1)'s: 0 no difference, 1 differences, 2 trouble (an image missing or \
                unreadable, without a root filesystem, or the appliance failing), 130 interrupted.
                """)

        @Argument(help: "The first image (qcow2 or raw; only read).", completion: .file())
        var image1: String

        @Argument(help: "The second image, compared with the first.", completion: .file())
        var image2: String

        @Flag(help: "Print only the result as JSON; no progress.")
        var json = false

        func run() async throws {
            let printer = ProgressPrinter(quiet: json)
            let (first, second) = (URL(fileURLWithPath: image1), URL(fileURLWithPath: image2))
            let report: DiffReport
            do {
                report = try await Interruption.run { try await ImageDiff.diff(first, second, progress: printer.handle) }
            } catch {
                throw CommandFailure(error, json: json, failedStatus: 2)
            }
            let differences = report.differences
            if json {
                try printJSON(report)
            } else {
                differences.lines.forEach { print($0) }
                printer.line(differences.isEmpty
                    ? "no difference in packages, /etc, services or open ports"
                    : "\(differences.count) difference\(differences.count == 1 ? "" : "s")")
            }
            if !differences.isEmpty { throw ExitCode(1) }
        }
    }
}
