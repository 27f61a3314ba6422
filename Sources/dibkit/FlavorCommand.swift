import ArgumentParser
import Flavors
import Foundation
import OpenStack

extension Dibkit {
    /// `dibkit flavor show|change|upload`: the sizes database instances come in.
    struct FlavorCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "flavor",
            abstract: "Show, change and upload the database flavors (vCPUs, memory, root, database and backup storage).",
            discussion: """
                Each database has a predefined small, medium and large flavor. Changes are kept in \
                $XDG_CONFIG_HOME/dibkit/flavors.yaml (~/.config/dibkit/flavors.yaml); upload creates them in \
                Nova as <db>.<name> (root and database disks rounded up to whole GiB, the database disk as \
                the ephemeral disk, the backup size as the extra spec dibkit:backup_mb).
                """,
            subcommands: [Show.self, Change.self, Upload.self])
    }
}

extension Dibkit.FlavorCommand {
    /// `dibkit flavor show [-d DB] [-p]`.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the flavors of a database (all databases without -d).")

        @Option(name: .customShort("d"), help: "The database: redis, valkey, postgresql, mariadb, mysql or mongodb.")
        var database: String?

        @Flag(name: .customShort("p"), help: "Show the predefined defaults instead of the current values.")
        var predefined = false

        @Flag(help: "Print the flavors as JSON.")
        var json = false

        func run() throws {
            let store = FlavorStore(file: FlavorStore.defaultFile())
            let databases = database.map { [$0] } ?? PredefinedFlavors.databases
            do {
                let flavors = try databases.flatMap { predefined ? try FlavorStore.defaults(of: $0) : try store.current(of: $0) }
                if json { return try printJSON(flavors) }
                print((predefined ? "predefined flavors" : "current flavors (changes in \(store.file.path))") + ":")
                print(FlavorTable(flavors: flavors).text)
            } catch {
                throw CommandFailure(error, json: json)
            }
        }
    }

    /// `dibkit flavor change -d DB -f NAME [-c N] [-m GB] [-r MB] [-s MB] [-b MB]`.
    struct Change: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change fields of one flavor; -1 restores a field's default.")

        @Option(name: .customShort("d"), help: "The database.")
        var database: String

        @Option(name: .customShort("f"), help: "The flavor: small, medium or large.")
        var flavor: String

        @Option(name: .customShort("c"), parsing: .unconditional, help: ArgumentHelp("vCPUs (-1: the default).", valueName: "vcpus"))
        var vcpus: Int?

        @Option(name: .customShort("m"), parsing: .unconditional, help: ArgumentHelp("Memory in GiB (-1: the default).", valueName: "GB"))
        var memory: Int?

        @Option(name: .customShort("r"), parsing: .unconditional, help: ArgumentHelp("Root disk in MiB (-1: the default).", valueName: "MB"))
        var root: Int?

        @Option(name: .customShort("s"), parsing: .unconditional, help: ArgumentHelp("Database disk in MiB (-1: the default).", valueName: "MB"))
        var storage: Int?

        @Option(name: .customShort("b"), parsing: .unconditional, help: ArgumentHelp("Backup storage in MiB (-1: the default).", valueName: "MB"))
        var backup: Int?

        func run() throws {
            let values: [FlavorSpec.Field: Int] = [
                .vcpus: vcpus, .ramGB: memory, .rootMB: root, .databaseMB: storage, .backupMB: backup,
            ].compactMapValues { $0 }
            do {
                let changed = try FlavorStore(file: FlavorStore.defaultFile()).change(database: database, flavor: flavor, values)
                print(FlavorTable(flavors: [changed]).text)
            } catch {
                throw CommandFailure(error, json: false)
            }
        }
    }

    /// `dibkit flavor upload -d DB [--replace] [--os-cloud NAME]`.
    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a database's flavors in Nova; equal ones are left alone, different ones refused unless --replace.")

        @Option(name: .customShort("d"), help: "The database.")
        var database: String

        @Flag(help: "Delete and create again flavors whose spec differs (instances keep their sizes).")
        var replace = false

        @Option(help: "The cloud in clouds.yaml (default: $OS_CLOUD, then the OS_* variables).")
        var osCloud: String?

        @Flag(help: "Print the outcome as JSON.")
        var json = false

        func run() async throws {
            do {
                let flavors = try FlavorStore(file: FlavorStore.defaultFile()).current(of: database)
                let credentials = try CloudCredentials.load(cloud: osCloud)
                let replace = replace
                let outcomes = try await Interruption.run {
                    try await KeystoneSession.with(credentials) { keystone in
                        try await NovaFlavors(keystone: keystone).upload(flavors.map(NovaFlavor.init), replace: replace)
                    }
                }
                if json { return try printJSON(outcomes.map { ["name": $0.name, "outcome": $0.outcome.rawValue] }) }
                for (name, outcome) in outcomes { print("\(name): \(outcome.rawValue)") }
            } catch {
                throw CommandFailure(error, json: json)
            }
        }
    }
}

extension NovaFlavor {
    /// The Nova flavor for a dibkit flavor: `<db>.<name>`, memory in MiB, disks rounded up to GiB, the
    /// database disk as the ephemeral disk, database and backup size as extra specs.
    init(_ flavor: Flavor) {
        func gibibytes(_ mebibytes: Int) -> Int { (mebibytes + 1023) / 1024 }
        self.init(
            name: flavor.cloudName, vcpus: flavor.spec.vcpus, ramMB: flavor.spec.ramGB * 1024,
            diskGB: gibibytes(flavor.spec.rootMB), ephemeralGB: gibibytes(flavor.spec.databaseMB),
            extraSpecs: ["dibkit:database": flavor.database, "dibkit:backup_mb": String(flavor.spec.backupMB)])
    }
}

/// The text table `flavor show` and `flavor change` print.
struct FlavorTable {
    let flavors: [Flavor]

    var text: String {
        let header = ["database", "flavor", "vcpus", "ram GB", "root MB", "db MB", "backup MB", "nova name"]
        let rows = [header] + flavors.map { flavor in
            [flavor.database, flavor.name] + FlavorSpec.Field.allCases.map { String(flavor.spec[$0]) } + [flavor.cloudName]
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}
