import ArgumentParser
import Foundation
import ImagePatch

extension Dibkit {
    /// `dibkit patch IMAGE -s CMD …`: change a built image offline, all or nothing.
    struct Patch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an image offline: run commands in its root, upload files, install packages, add ssh keys.",
            discussion: """
                Steps run in this order: each --upload, then --install (apt-get update, install without \
                recommends, then apt's caches emptied), then each -s in the order given, then --ssh-key. \
                Commands run with /bin/sh in the image's root (the first partition whose filesystem mounts \
                and holds /etc). The appliance has network for --install, and for every step with --network \
                (off otherwise: bringing it up costs seconds). qcow2 and raw images are told apart by content. \
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

        @Flag(help: "Network for every step, e.g. for -s 'apt-get …' or 'curl …' (--install always has it).")
        var network = false

        @Flag(help: "Keep the appliance's console to explain an appliance that dies (a few seconds slower under TCG).")
        var console = false

        @Flag(help: "Print only the result as JSON; no progress.")
        var json = false

        func run() async throws {
            let printer = ProgressPrinter(quiet: json)
            var options = PatchOptions()
            options.network = network
            options.followConsole = console
            let (image, patchOptions) = (URL(fileURLWithPath: image), options)
            do {
                let steps = try PatchStep.ordered(
                    uploads: upload, packages: install, commands: commands, sshKeys: sshKey.map { URL(fileURLWithPath: $0) },
                    user: user)
                let report = try await Interruption.run {
                    try await ImagePatch.patch(image, steps: steps, options: patchOptions, progress: printer.handle)
                }
                if json { try printJSON(report) } else {
                    printer.line("patched \(report.image) (root \(report.rootDevice); \(report.sizeBefore / 1_000_000) MB → \(report.sizeAfter / 1_000_000) MB on disk)")
                }
            } catch {
                throw CommandFailure(error, json: json)
            }
        }
    }
}
