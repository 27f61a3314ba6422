import ArgumentParser
import Elements
import Foundation
import ImageBuild

extension Dibkit {
    /// `dibkit elements [show NAME]`: what can go into an image.
    struct ElementsCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "elements",
            abstract: "List the elements (ELEMENTS_PATH first, then the built-in ones) with one-line descriptions.",
            subcommands: [Show.self])

        func run() throws {
            let library = try ElementLibrary.forCommand()
            let width = library.elements.map(\.name.count).max() ?? 0
            for element in library.elements {
                print(element.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + element.description)
            }
        }
    }
}

extension Dibkit.ElementsCommand {
    /// `dibkit elements show NAME`: dependency tree, phases, parameters and versions of one element.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an element: its folder, dependency tree, hooks and packages per phase, first-boot parameters, versions.")

        @Argument(help: "The element's name.")
        var name: String

        func run() throws {
            let library = try ElementLibrary.forCommand()
            let element: Element
            do { element = try library.element(named: name) } catch { throw CommandFailure(error, json: false) }
            print(ElementReport(element: element, library: library).text)
        }
    }
}

/// The text `dibkit elements show` prints for one element.
struct ElementReport {
    let element: Element
    let library: ElementLibrary

    var text: String {
        var sections = ["\(element.name): \(element.description)\nfolder: \(element.directory.path)"]
        if !element.provides.isEmpty { sections[0] += "\nprovides: \(element.provides.joined(separator: ", "))" }
        if let hidden = library.overridden.first(where: { $0.name == element.name }) {
            sections[0] += "\noverrides: \(hidden.directory.path)"
        }
        sections.append("dependencies:\n" + indent(library.dependencyTree(of: element.name)))
        if let phases { sections.append("phases:\n" + phases) }
        if !element.environmentFiles.isEmpty {
            sections.append("environment.d: " + element.environmentFiles.map(\.lastPathComponent).joined(separator: ", "))
        }
        if let firstboot = element.manifest.firstboot {
            let rows = firstboot.parameters.map { parameter in
                "  \(parameter.name)" + (parameter.default.map { " [default: \($0)]" } ?? "")
                    + (parameter.description.map { ": \($0)" } ?? "")
            }
            let title = "first-boot parameters (user-data `dibkit: {\(firstboot.section): {...}}`):"
            sections.append(([title] + rows).joined(separator: "\n"))
        }
        if let versions { sections.append(versions) }
        if !element.manifest.ports.isEmpty {
            sections.append("ports: " + element.manifest.ports.map(String.init).joined(separator: ", "))
        }
        return sections.joined(separator: "\n\n")
    }

    private var phases: String? {
        let rows = Phase.allCases.compactMap { phase -> String? in
            let hooks = element.hooks[phase] ?? []
            let packages = element.packageInstalls.filter { $0.phase == phase }.map(describe)
            guard !hooks.isEmpty || !packages.isEmpty else { return nil }
            var parts: [String] = []
            if !packages.isEmpty { parts.append("packages " + packages.joined(separator: ", ")) }
            if !hooks.isEmpty { parts.append("hooks " + hooks.map(\.name).joined(separator: " ")) }
            return "  \(phase.rawValue) (\(phase.runsInTarget ? "in the root" : "on the host")): " + parts.joined(separator: "; ")
        }
        return rows.isEmpty ? nil : rows.joined(separator: "\n")
    }

    private var versions: String? {
        let manifest = element.manifest
        var tables: [(String, VersionTable)] = manifest.versions.isEmpty ? [] : [("versions", manifest.versions)]
        for edition in Edition.allCases {
            if let table = manifest.editions[edition] { tables.append(("\(edition.rawValue) edition", table)) }
        }
        guard !tables.isEmpty else { return nil }
        return tables.map { title, table in
            ([title + " per release (-v takes the first two parts of a version, 7.0.15 → 7.0; without --release, "
                + "the first Debian release that ships it is built; Ubuntu's only with --release):"] + table.sources.flatMap(rows)).joined(separator: "\n")
        }.joined(separator: "\n\n")
    }

    /// A source's versions: the vendor's for any release, an archive's per release (newest release first).
    private func rows(_ source: VersionTable.Source) -> [String] {
        let entries = { (rows: [VersionTable.Entry]) in
            rows.map { entry in
                var details = entry.packages
                if entry.isDefault { details.append("default") }
                return entry.version + (details.isEmpty ? "" : " (\(details.joined(separator: "; ")))")
            }.joined(separator: ", ")
        }
        if source.name == VersionTable.vendorSource {
            return ["  vendor, any release (-p FILE): " + entries(source.entries)]
        }
        let named = source.entries.flatMap(\.releases)
        let releases = BuildConfiguration.releases.filter(named.contains)
            + named.filter { !BuildConfiguration.releases.contains($0) }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let label = source.name == "distro" ? "" : " (\(source.name))"
        var lines = releases.map { release in
            "  \(release)\(release == BuildConfiguration.defaultRelease ? " (default)" : "")\(label): "
                + entries(source.entries.filter { $0.releases.contains(release) })
        }
        let anyRelease = source.entries.filter(\.releases.isEmpty)
        if !anyRelease.isEmpty { lines.append("  \(source.name), any release: " + entries(anyRelease)) }
        return lines
    }

    private func describe(_ entry: PackageInstall) -> String {
        var notes: [String] = []
        if entry.uninstall { notes.append("removed at the end") }
        if entry.buildOnly { notes.append("build only") }
        if let archs = entry.architectures { notes.append("arch " + archs.joined(separator: ",")) }
        if let archs = entry.excludedArchitectures { notes.append("not on " + archs.joined(separator: ",")) }
        notes += entry.conditions.map { "when \($0)" }
        if let type = entry.installType { notes.append("installtype \(type)") }
        return entry.package + (notes.isEmpty ? "" : " (\(notes.joined(separator: "; ")))")
    }

    private func indent(_ text: String) -> String {
        text.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
    }
}

extension ElementLibrary {
    /// The library dibkit's commands use, with its errors reported as bad input.
    static func forCommand() throws -> ElementLibrary {
        do { return try ElementLibrary(searchPath: try currentSearchPath()) } catch {
            throw CommandFailure(error, json: false)
        }
    }
}
