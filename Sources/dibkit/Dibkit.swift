import ArgumentParser

/// The `dibkit` command: bakes bootable database VM images offline.
@main
struct Dibkit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dibkit",
        abstract: "Bake bootable database VM images offline, prove they boot, upload them.",
        version: "0.1.0",
        subcommands: [Test.self])
}
