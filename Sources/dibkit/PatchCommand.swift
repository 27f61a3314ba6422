import ArgumentParser
import Chroot
import Foundation
import Pipeline

extension Dibkit {
    /// `dibkit patch IMAGE -s CMD …`: change a built image offline, all or nothing.
    struct Patch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an image offline: run commands in its root, upload files, install packages, add ssh keys.",
            discussion: """
                Steps run in this order: each --upload, then --install (apt-get update, install without \
                recommends, then apt's caches emptied), then each -s in the order given, then --ssh-key. \
                Commands run with /bin/sh in the image's root (the first ext4/xfs/btrfs filesystem holding \
                /etc), with network for apt unless --no-network. qcow2 and raw images are told apart by content. \
                All or nothing: the image changes only when every step passed; on a failure or Ctrl-C its \
                bytes are the ones it had. Exit status: 0 patched, 1 a step failed, 2 bad input, 130 interrupted.
                """)

        @Argument(help: "The image to change (qcow2 or raw).", completion: .file())
        var image: String

        @Option(name: .customShort("s"), help: ArgumentHelp("A shell command to run in the image's root; repeat for more, run in order.", valueName: "command"))
        var commands: [String] = []

        @Option(help: ArgumentHelp("Copy a host file into the image (mode kept, owner root); DST may be an existing folder.", valueName: "src:dst"))
        var upload: [String] = []

        @Option(help: ArgumentHelp("Debian packages to install, comma-separated; repeatable.", valueName: "pkg,…"))
        var install: [String] = []

        @Option(help: ArgumentHelp("ssh public keys (authorized_keys format) to add for --user.", valueName: "file"))
        var sshKey: String?

        @Option(help: "The user whose ~/.ssh/authorized_keys --ssh-key extends.")
        var user = "dibkit"

        @Flag(help: "No network in the appliance (apt cannot download then).")
        var noNetwork = false

        @Flag(help: "Print only the result as JSON; no progress.")
        var json = false

        func run() async throws {
            let printer = ProgressPrinter(quiet: json)
            let steps: [PatchStep]
            do { steps = try makeSteps() } catch { throw CommandFailure(error, json: json) }
            var patchOptions = PatchOptions()
            patchOptions.network = !noNetwork
            let options = patchOptions
            do {
                let report = try await Interruption.run {
                    let choice = await AcceleratorChoice.detect()
                    printer.line(choice.summary)
                    return try await Pipeline.patch(
                        URL(fileURLWithPath: image), steps: steps, options: options, accelerator: choice,
                        progress: printer.handle)
                }
                if json { try printJSON(report) } else {
                    printer.line("patched \(report.image) (root \(report.rootDevice); \(report.sizeBefore / 1_000_000) MB → \(report.sizeAfter / 1_000_000) MB on disk)")
                }
            } catch {
                throw CommandFailure(error, json: json)
            }
        }

        /// The steps in dibkit's fixed order: uploads, one install, commands, ssh keys.
        func makeSteps() throws -> [PatchStep] {
            var steps = try upload.map { PatchStep.upload(try FileUpload(argument: $0)) }
            let packages = install.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
                .filter { !$0.isEmpty }
            if !packages.isEmpty {
                try PatchStep.checkPackages(packages)
                steps.append(.install(packages: packages))
            }
            steps += commands.map(PatchStep.run)
            if let sshKey {
                steps.append(.authorizeKeys(try AuthorizedKeys(file: URL(fileURLWithPath: sshKey)), user: user))
            }
            guard !steps.isEmpty else { throw PatchError.nothingToDo }
            return steps
        }
    }
}
