import Foundation
import Yams

extension ElementManifest {
    static let knownKeys = ["description", "bootstrap", "firstboot", "versions", "editions", "ports"]

    /// Reads `element.yaml`; an element without one gets an empty manifest.
    /// - Throws: `ElementError.badFile` naming the file, line and key that is wrong.
    static func load(from file: URL) throws -> ElementManifest {
        guard let document = try YAMLDocument.read(file), let root = document.root, !document.isNull(root) else {
            return ElementManifest()
        }
        var manifest = ElementManifest()
        for (key, value) in try document.pairs(try document.mapping(root, "element.yaml"), "element.yaml", known: knownKeys) {
            switch key {
            case "description": manifest.description = try document.string(value, "description")
            case "bootstrap": manifest.bootstrap = try Bootstrap(value, document)
            case "firstboot": manifest.firstboot = try Firstboot(value, document)
            case "versions": manifest.versions = try VersionTable(value, document, "versions")
            case "editions":
                if document.isNull(value) { continue }
                for (name, table) in try document.pairs(try document.mapping(value, "editions"), "editions",
                                                        known: Edition.allCases.map(\.rawValue)) {
                    guard let edition = Edition(rawValue: name) else { continue }
                    manifest.editions[edition] = try VersionTable(table, document, "editions.\(name)")
                }
            default:
                guard let items = value.sequence else { throw document.fail("ports must be a list of port numbers", at: value) }
                manifest.ports = try items.map { item in
                    let port = try document.int(item, "each port")
                    guard (1...65535).contains(port) else { throw document.fail("port \(port) is not in 1-65535", at: item) }
                    return port
                }
            }
        }
        return manifest
    }
}

extension ElementManifest.Bootstrap {
    init(_ node: Node, _ document: YAMLDocument) throws {
        let known = ["tool", "variant", "components", "include", "exclude", "path-filter"]
        for (key, value) in try document.pairs(try document.mapping(node, "bootstrap"), "bootstrap", known: known) {
            switch key {
            case "tool":
                let text = try document.string(value, "bootstrap.tool")
                guard ["mmdebstrap", "debootstrap"].contains(text) else {
                    throw document.fail("bootstrap.tool '\(text)' is not mmdebstrap or debootstrap", at: value)
                }
                tool = text
            case "variant": variant = try document.string(value, "bootstrap.variant")
            case "components": components = try document.strings(value, "bootstrap.components")
            case "include": include = try document.strings(value, "bootstrap.include")
            case "path-filter":
                let filters = try document.strings(value, "bootstrap.path-filter")
                if let bad = filters.first(where: { !($0.hasPrefix("path-exclude=/") || $0.hasPrefix("path-include=/")) }) {
                    throw document.fail(
                        "bootstrap.path-filter '\(bad)' is not a dpkg path filter: write path-exclude=/GLOB or path-include=/GLOB",
                        at: value)
                }
                pathFilter = filters
            default: exclude = try document.strings(value, "bootstrap.exclude")
            }
        }
    }
}

extension ElementManifest.Firstboot {
    init(_ node: Node, _ document: YAMLDocument) throws {
        var section: String?
        parameters = []
        for (key, value) in try document.pairs(try document.mapping(node, "firstboot"), "firstboot",
                                               known: ["section", "parameters"]) {
            if key == "section" {
                section = try document.string(value, "firstboot.section")
                continue
            }
            if document.isNull(value) { continue }
            for (name, options) in try document.pairs(try document.mapping(value, "firstboot.parameters"), "firstboot.parameters") {
                var parameter = ElementManifest.Parameter(name: name)
                if !document.isNull(options) {
                    for (option, text) in try document.pairs(try document.mapping(options, "parameter \(name)"), "parameter \(name)",
                                                             known: ["default", "description"]) {
                        if option == "default" {
                            parameter.default = try document.string(text, "\(name).default")
                        } else {
                            parameter.description = try document.string(text, "\(name).description")
                        }
                    }
                }
                parameters.append(parameter)
            }
        }
        guard let section, !section.isEmpty else {
            throw document.fail("firstboot needs a section: the user-data key it reads", at: node)
        }
        self.section = section
    }
}

extension VersionTable {
    init(_ node: Node, _ document: YAMLDocument, _ what: String) throws {
        if document.isNull(node) { return }
        for (source, versions) in try document.pairs(try document.mapping(node, what), what) {
            var entries: [Entry] = []
            if !document.isNull(versions) {
                for (version, row) in try document.pairs(try document.mapping(versions, "\(what).\(source)"), "\(what).\(source)") {
                    entries.append(try Entry(version: version, row, document, "\(what).\(source).\(version)"))
                }
            }
            sources.append(Source(name: source, entries: entries))
        }
    }
}

extension VersionTable.Entry {
    init(version: String, _ node: Node, _ document: YAMLDocument, _ what: String) throws {
        self.version = version
        if document.isNull(node) { return }
        for (key, value) in try document.pairs(try document.mapping(node, what), what, known: ["packages", "releases", "default"]) {
            switch key {
            case "packages": packages = try document.strings(value, "\(what).packages")
            case "releases": releases = try document.strings(value, "\(what).releases")
            default: isDefault = try document.bool(value, "\(what).default")
            }
        }
    }
}
