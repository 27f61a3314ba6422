import DurableFiles
public import Foundation
import Yams

/// The user's changes to the predefined flavors, kept in `flavors.yaml` under dibkit's config folder.
///
/// The file holds only what differs from the defaults, so a newer dibkit's defaults still reach every
/// field the user never changed:
/// ```yaml
/// redis:
///   small:
///     ram_gb: 4
/// ```
public struct FlavorStore: Sendable {
    /// The config file.
    public let file: URL
    private let publisher: FilePublisher

    /// A store over `file`.
    public init(file: URL) { self.init(file: file, publisher: FilePublisher()) }

    init(file: URL, publisher: FilePublisher) {
        self.file = file
        self.publisher = publisher
    }

    /// `$XDG_CONFIG_HOME/dibkit/flavors.yaml`, or `~/.config/dibkit/flavors.yaml`.
    public static func defaultFile(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.config")
        return URL(fileURLWithPath: base).appendingPathComponent("dibkit/flavors.yaml")
    }

    /// The predefined flavors of `database`.
    /// - Throws: `FlavorError.unknownDatabase`.
    public static func defaults(of database: String) throws -> [Flavor] {
        let flavors = PredefinedFlavors.flavors(of: database)
        guard !flavors.isEmpty else { throw FlavorError.unknownDatabase(database) }
        return flavors
    }

    /// The flavors of `database` as the user has them: defaults with the user's changes applied.
    /// - Throws: `FlavorError.unknownDatabase`, `FlavorError.badConfigFile`.
    public func current(of database: String) throws -> [Flavor] {
        let changes = try read()[database] ?? [:]
        return try Self.defaults(of: database).map { flavor in
            var flavor = flavor
            for (key, value) in changes[flavor.name] ?? [:] {
                if let field = FlavorSpec.Field(rawValue: key) { flavor.spec[field] = value }
            }
            return flavor
        }
    }

    /// Changes fields of one flavor; `-1` restores a field's default. Writes the file through
    /// `FilePublisher`: complete and flushed before it replaces the old one.
    /// - Returns: the flavor as it now is.
    /// - Throws: `FlavorError` for an unknown database or flavor, a bad value, no field, or a bad file.
    @discardableResult
    public func change(database: String, flavor name: String, _ values: [FlavorSpec.Field: Int]) throws -> Flavor {
        guard !values.isEmpty else { throw FlavorError.nothingToChange }
        let defaults = try Self.defaults(of: database)
        guard let original = defaults.first(where: { $0.name == name }) else {
            throw FlavorError.unknownFlavor(database: database, name: name, known: defaults.map(\.name))
        }
        for (field, value) in values where value != -1 && value < field.minimum {
            throw FlavorError.badValue(field: field.rawValue, value: value, minimum: field.minimum)
        }
        var all = try read()
        var changes = all[database]?[name] ?? [:]
        for (field, value) in values {
            changes[field.rawValue] = value == -1 || value == original.spec[field] ? nil : value
        }
        all[database, default: [:]][name] = changes.isEmpty ? nil : changes
        if all[database]?.isEmpty == true { all[database] = nil }
        try write(all)
        return try current(of: database).first { $0.name == name } ?? original
    }

    private typealias Changes = [String: [String: [String: Int]]]

    private func read() throws -> Changes {
        guard FileManager.default.fileExists(atPath: file.path) else { return [:] }
        do {
            let text = try String(contentsOf: file, encoding: .utf8)
            guard try Yams.compose(yaml: text) != nil else { return [:] }
            return try YAMLDecoder().decode(Changes.self, from: text)
        } catch {
            throw FlavorError.badConfigFile(path: file.path, reason: "not a flavors file (database → flavor → field: number): \(error)")
        }
    }

    private func write(_ changes: Changes) throws {
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            let header = "# dibkit flavors: changes to the predefined sizes (dibkit flavor change); -1 restores a default.\n"
            let encoder = YAMLEncoder()
            encoder.options.sortKeys = true
            let body = changes.isEmpty ? "" : try encoder.encode(changes)
            try publisher.write(Data((header + body).utf8), to: file)
        } catch let error as FileWriteError {
            throw FlavorError.cannotWrite(error)
        } catch {
            throw FlavorError.badConfigFile(path: file.path, reason: "cannot be written: \(error.localizedDescription)")
        }
    }
}
