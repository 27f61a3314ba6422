import ArgumentParser
import Reporting

/// The `dibkit` command: bakes bootable database VM images offline.
@main
struct Dibkit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dibkit",
        abstract: "Bake bootable database VM images offline, prove they boot, upload them.",
        version: dibkitVersion,
        subcommands: [
            Build.self, Test.self, Patch.self, Diff.self, FlavorCommand.self, ElementsCommand.self, Info.self, Convert.self,
            Check.self, Upload.self, CacheCommand.self,
        ])

    /// Parses, runs, and maps failures to dibkit's messages and exit codes.
    static func main() async {
        do {
            var command = try parseAsRoot(Convert.expandingBareCompression(Array(CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            exit(reporting: failure)
        } catch {
            exit(withError: error)
        }
    }
}
