public import Foundation
import Yams

/// dibkit's optional `element.yaml`: what diskimage-builder's layout has no place for.
public struct ElementManifest: Sendable, Equatable, Decodable {
    /// How the operating-system element is bootstrapped.
    public struct Bootstrap: Sendable, Equatable, Decodable {
        public var tool: String?
        public var variant: String?
        public var components: [String]?
        public var include: [String]?
    }

    /// One first-boot parameter read from user-data.
    public struct Parameter: Sendable, Equatable, Decodable {
        public var description: String?
        public var `default`: YAMLScalar?
    }

    /// The user-data section an element's first-boot hook reads, and its parameters.
    public struct Firstboot: Sendable, Equatable, Decodable {
        public var section: String
        public var parameters: [String: Parameter]?
    }

    /// One row of a version table.
    public struct VersionEntry: Sendable, Equatable, Decodable {
        public var packages: [String]?
        public var releases: [String]?
    }

    public var description: String?
    public var bootstrap: Bootstrap?
    public var firstboot: Firstboot?
    /// Versions per source (`distro`, `community`, `enterprise`…), each version to its packages.
    public var versions: [String: [String: VersionEntry]]?
    /// The database's default TCP ports.
    public var ports: [Int]

    enum CodingKeys: String, CodingKey {
        case description, bootstrap, firstboot, versions, ports
    }

    public init() { ports = [] }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        bootstrap = try container.decodeIfPresent(Bootstrap.self, forKey: .bootstrap)
        firstboot = try container.decodeIfPresent(Firstboot.self, forKey: .firstboot)
        versions = try container.decodeIfPresent([String: [String: VersionEntry]].self, forKey: .versions)
        ports = try container.decodeIfPresent([Int].self, forKey: .ports) ?? []
    }

    /// Reads `element.yaml`, or an empty manifest when there is none.
    static func load(from file: URL) throws -> ElementManifest {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return ElementManifest() }
        do {
            return try YAMLDecoder().decode(ElementManifest.self, from: text)
        } catch {
            throw ElementError.badFile(path: file.path, reason: "not a valid element.yaml: \(error)")
        }
    }
}

/// A YAML scalar kept as text (a parameter default may be a number or a string).
public struct YAMLScalar: Sendable, Equatable, Decodable, CustomStringConvertible {
    public let description: String

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            description = text
        } else if let number = try? container.decode(Int.self) {
            description = String(number)
        } else if let flag = try? container.decode(Bool.self) {
            description = String(flag)
        } else {
            description = String(try container.decode(Double.self))
        }
    }
}
