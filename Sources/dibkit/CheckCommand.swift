import ArgumentParser
import Foundation
import QcowIO

extension Dibkit {
    /// `dibkit check IMAGE`: refcounts against references, with `qemu-img check`'s exit codes.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a qcow2 image's metadata for leaks and corruptions (exit codes as qemu-img check).",
            discussion: """
                Exit status: 0 no problem, 1 the check could not run, 2 corruptions, 3 leaked clusters only, \
                63 the format (raw) has nothing to check.
                """)

        @Argument(help: "The image file (read only).")
        var image: String

        @Flag(help: "Print the report as JSON.")
        var json = false

        func run() throws {
            let url = URL(fileURLWithPath: image)
            let report: CheckReport
            do {
                guard try ImageFormat.detect(at: url) == .qcow2 else {
                    FileHandle.standardError.write(Data("\(image): raw image: the format has no metadata to check\n".utf8))
                    throw ExitCode(63)
                }
                report = try QcowIO.check(url)
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw CommandFailure(error, json: json)
            }
            if json {
                try printJSON(report)
            } else {
                report.problems.forEach { print($0) }
                if report.problems.count < report.corruptions + report.leaks { print("… and \(report.corruptions + report.leaks - report.problems.count) more") }
                if report.corruptions > 0 {
                    print("\(report.corruptions) errors were found on the image. Data may be corrupted; do not write to it.")
                }
                if report.leaks > 0 {
                    print("\(report.leaks) leaked clusters were found on the image. This wastes space but does not harm data.")
                }
                if report.exitCode == 0 { print("No errors were found on the image.") }
                let percent = report.totalClusters == 0 ? 0 : Double(report.allocatedClusters) * 100 / Double(report.totalClusters)
                print(String(format: "%llu/%llu = %.2f%% allocated, %llu compressed clusters", report.allocatedClusters,
                             report.totalClusters, percent, report.compressedClusters))
                print("Image end offset: \(report.imageEndOffset)")
            }
            if report.exitCode != 0 { throw ExitCode(report.exitCode) }
        }
    }
}
