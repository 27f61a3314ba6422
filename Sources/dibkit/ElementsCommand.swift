import ArgumentParser
import Elements
import Foundation

extension Dibkit {
    /// `dibkit elements [show NAME]`: what can go into an image.
    struct ElementsCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "elements",
            abstract: "List the elements (ELEMENTS_PATH first, then the built-in ones) with one-line descriptions.",
            subcommands: [Show.self])

        func run() throws {
            let library = try ElementLibrary.current()
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
            abstract: "Show an element: its folder, dependency tree, hooks per phase, packages, parameters, versions.")

        @Argument(help: "The element's name.")
        var name: String

        func run() throws {
            let library = try ElementLibrary.current()
            guard let element = library.element(named: name) else {
                throw CommandFailure(
                    ElementError.missing(
                        name: name, chain: [], searched: library.searchPath.map(\.path),
                        available: library.elements.map(\.name)),
                    json: false)
            }
            print("\(element.name): \(element.description)")
            print("folder: \(element.directory.path)")
            if !element.provides.isEmpty { print("provides: \(element.provides.joined(separator: ", "))") }
            print("\ndependencies:\n" + library.dependencyTree(of: name).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            let phases = Phase.allCases.compactMap { phase -> String? in
                let hooks = element.hooks[phase] ?? []
                let packages = element.packageInstalls.filter { $0.phase == phase }
                    .map { $0.uninstall ? "-\($0.package)" : $0.package }
                guard !hooks.isEmpty || !packages.isEmpty else { return nil }
                var parts: [String] = []
                if !packages.isEmpty { parts.append("packages " + packages.joined(separator: " ")) }
                if !hooks.isEmpty { parts.append("hooks " + hooks.map(\.name).joined(separator: " ")) }
                return "  \(phase.rawValue) (\(phase.runsInTarget ? "in the root" : "on the host")): " + parts.joined(separator: "; ")
            }
            if !phases.isEmpty { print("\nphases:\n" + phases.joined(separator: "\n")) }
            if let firstboot = element.manifest.firstboot {
                print("\nfirst-boot parameters (user-data `dibkit: {\(firstboot.section): {...}}`):")
                for (key, parameter) in (firstboot.parameters ?? [:]).sorted(by: { $0.key < $1.key }) {
                    let fallback = parameter.default.map { " [default: \($0)]" } ?? ""
                    print("  \(key)\(fallback): \(parameter.description ?? "")")
                }
            }
            if let versions = element.manifest.versions, !versions.isEmpty {
                print("\nsupported versions:")
                for (source, table) in versions.sorted(by: { $0.key < $1.key }) {
                    let rows = table.sorted { $0.key < $1.key }.map { version, entry in
                        "\(version) (\((entry.packages ?? []).joined(separator: ", ")); \((entry.releases ?? []).joined(separator: ", ")))"
                    }
                    print("  \(source): " + rows.joined(separator: "; "))
                }
            }
            if !element.manifest.ports.isEmpty {
                print("\nports: " + element.manifest.ports.map(String.init).joined(separator: ", "))
            }
        }
    }
}

extension ElementLibrary {
    /// The library dibkit's commands use: `ELEMENTS_PATH`, then the built-in elements.
    static func current() throws -> ElementLibrary {
        try ElementLibrary(searchPath: try currentSearchPath())
    }

    /// `ELEMENTS_PATH`'s folders, then the built-in one.
    static func currentSearchPath() throws -> [URL] {
        let environment = ProcessInfo.processInfo.environment
        return searchPath(environment: environment, builtIn: try BuiltInElements.directory(environment: environment))
    }
}
