import ArgumentParser
import Foundation
import ImageBuild
import Reporting

extension Dibkit {
    /// `dibkit cache list|prune`: what builds keep under the cache folder, and removing it.
    struct CacheCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cache",
            abstract: "Show or remove what builds cache: base roots, downloaded packages and lists, build logs.",
            subcommands: [List.self, Prune.self])

        struct Options: ParsableArguments {
            @Option(help: "The cache folder (default: $DIBKIT_CACHE_DIR or ~/.cache/dibkit).")
            var cacheDir: String?

            @Flag(help: "Print JSON.")
            var json = false

            var cache: BuildCache {
                BuildCache(folder: cacheDir.map { URL(fileURLWithPath: $0) }, environment: ProcessInfo.processInfo.environment)
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the cache's base roots, packages, lists and logs, with size and age.")

            @OptionGroup var options: Options

            func run() throws {
                let entries = options.cache.list()
                if options.json { return try printJSON(entries) }
                printEntries(entries, empty: "nothing cached in \(options.cache.folder.path)")
            }
        }

        struct Prune: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Remove cached base roots, packages, lists and logs (all, or those older than --older-than); waits for running builds.")

            @OptionGroup var options: Options

            @Option(help: ArgumentHelp("Only what changed longer ago than this: 30d, 12h, 90m.", valueName: "age"))
            var olderThan: String?

            func validate() throws {
                if let olderThan {
                    do { _ = try Quantities.duration(olderThan) } catch { throw ValidationError("--older-than \(error)") }
                }
            }

            func run() async throws {
                let printer = ProgressPrinter(quiet: options.json)
                let cutoff = try olderThan.map { Date().addingTimeInterval(-(try Quantities.duration($0)).inSeconds) }
                let cache = options.cache
                do {
                    let removed = try await Interruption.run { try await cache.prune(changedBefore: cutoff, progress: printer.handle) }
                    if options.json { return try printJSON(removed) }
                    printEntries(removed, empty: "nothing to remove in \(cache.folder.path)", verb: "removed ")
                } catch {
                    throw CommandFailure(error, json: options.json)
                }
            }
        }
    }
}

/// One line per entry: kind, size, files, age, path; then the total.
private func printEntries(_ entries: [BuildCache.Entry], empty: String, verb: String = "") {
    guard !entries.isEmpty else { return print(empty) }
    for entry in entries {
        let age = Int(Date().timeIntervalSince(entry.modified) / 86400)
        let files = entry.files == 1 ? "" : " (\(entry.files) files)"
        print("\(verb)\(entry.kind.rawValue)\t\(Quantities.format(bytes: entry.bytes))\(files)\t\(age) d\t\(entry.path)")
    }
    print("\(verb.isEmpty ? "" : "removed ")total\t\(Quantities.format(bytes: entries.map(\.bytes).reduce(0, +)))")
}
