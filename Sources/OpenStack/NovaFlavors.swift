import CloudHTTP
import Foundation

/// A flavor as Nova knows it (API v2.1 without microversion): what `dibkit flavor upload` creates.
public struct NovaFlavor: Sendable, Equatable {
    public var name: String
    public var vcpus: Int
    public var ramMB: Int
    /// Root disk, GiB.
    public var diskGB: Int
    /// Ephemeral (second) disk, GiB.
    public var ephemeralGB: Int
    /// Extra specs set after creation (`os-extra_specs`).
    public var extraSpecs: [String: String]

    /// Makes a flavor from its parts.
    public init(name: String, vcpus: Int, ramMB: Int, diskGB: Int, ephemeralGB: Int, extraSpecs: [String: String] = [:]) {
        self.name = name
        self.vcpus = vcpus
        self.ramMB = ramMB
        self.diskGB = diskGB
        self.ephemeralGB = ephemeralGB
        self.extraSpecs = extraSpecs
    }

    /// How `existing` differs from this one, field by field (`ram 2048 → 4096 MB`); extra specs the cloud
    /// holds beyond these are not counted.
    func differences(from existing: NovaFlavor) -> [String] {
        var lines: [String] = []
        for (field, old, new, unit) in [("vcpus", existing.vcpus, vcpus, ""), ("ram", existing.ramMB, ramMB, " MB"),
                                        ("disk", existing.diskGB, diskGB, " GB"), ("ephemeral", existing.ephemeralGB, ephemeralGB, " GB")]
        where old != new {
            lines.append("\(field) \(old) → \(new)\(unit)")
        }
        for (key, value) in extraSpecs.sorted(by: { $0.key < $1.key }) where existing.extraSpecs[key] != value {
            lines.append("\(key) \(existing.extraSpecs[key] ?? "(none)") → \(value)")
        }
        return lines
    }
}

/// What `upload` did with one flavor.
public enum FlavorUploadOutcome: String, Sendable, Codable {
    /// It did not exist and was created.
    case created
    /// It existed with the same spec and was left alone.
    case unchanged
    /// It existed with another spec and was deleted and created again (`replace`).
    case replaced
}

/// Nova's flavor API at one compute endpoint.
public struct NovaFlavors: Sendable {
    let nova: ServiceClient
    let compute: URL

    /// Flavors of the cloud reached through `keystone`'s catalog (`compute` service).
    /// - Throws: `OpenStackError.noEndpoint`.
    public init(keystone: KeystoneSession) throws {
        self.nova = keystone.client("Nova")
        self.compute = try keystone.endpoint(of: "compute")
    }

    /// Makes `wanted` exist: a missing flavor is created; one of the same name and spec is left alone; one of
    /// the same name and another spec stops everything before any change, unless `replace`, which deletes
    /// and creates it again. Public and private flavors are both looked at.
    /// - Returns: each flavor's name and outcome, in order.
    /// - Throws: `OpenStackError.flavorsDiffer` listing every difference; `OpenStackError.http`.
    public func upload(_ wanted: [NovaFlavor], replace: Bool) async throws -> [(name: String, outcome: FlavorUploadOutcome)] {
        let existing = try await list()
        var plan: [(NovaFlavor, existingID: String?, outcome: FlavorUploadOutcome)] = []
        var conflicts: [String] = []
        for flavor in wanted {
            guard let (id, current) = existing.first(where: { $0.flavor.name == flavor.name }).map({ ($0.id, $0.flavor) }) else {
                plan.append((flavor, nil, .created))
                continue
            }
            var withSpecs = current
            withSpecs.extraSpecs = try await extraSpecs(of: id)
            let differences = flavor.differences(from: withSpecs)
            if differences.isEmpty {
                plan.append((flavor, id, .unchanged))
            } else {
                conflicts.append("\(flavor.name): " + differences.joined(separator: ", "))
                plan.append((flavor, id, .replaced))
            }
        }
        if !conflicts.isEmpty && !replace { throw OpenStackError.flavorsDiffer(conflicts) }
        for (flavor, id, outcome) in plan where outcome != .unchanged {
            if let id { _ = try await nova.send("DELETE", url("flavors/\(id)"), operation: "DELETE /flavors/{id}") }
            try await create(flavor)
        }
        return plan.map { ($0.0.name, $0.outcome) }
    }

    /// `GET /flavors/detail?is_public=None`: every flavor with its id.
    func list() async throws -> [(id: String, flavor: NovaFlavor)] {
        var components = URLComponents(url: url("flavors/detail"), resolvingAgainstBaseURL: false)
        components?.queryItems = [URLQueryItem(name: "is_public", value: "None")]
        let listURL = components?.url ?? url("flavors/detail")
        let response = try await nova.send("GET", listURL, operation: "GET /flavors/detail")
        struct Listing: Decodable {
            struct Item: Decodable {
                let id: String, name: String, vcpus: Int, ram: Int, disk: Int, ephemeral: Int?
                enum CodingKeys: String, CodingKey { case id, name, vcpus, ram, disk, ephemeral = "OS-FLV-EXT-DATA:ephemeral" }
            }
            let flavors: [Item]
        }
        do {
            return try JSONDecoder().decode(Listing.self, from: response.bodyData).flavors.map {
                ($0.id, NovaFlavor(name: $0.name, vcpus: $0.vcpus, ramMB: $0.ram, diskGB: $0.disk, ephemeralGB: $0.ephemeral ?? 0))
            }
        } catch {
            throw OpenStackError.badResponse(url: listURL.absoluteString, reason: "the flavor list: \(error)")
        }
    }

    private func extraSpecs(of id: String) async throws -> [String: String] {
        let response = try await nova.send("GET", url("flavors/\(id)/os-extra_specs"), operation: "GET /flavors/{id}/os-extra_specs")
        struct Specs: Decodable { let extra_specs: [String: String] }
        return (try? JSONDecoder().decode(Specs.self, from: response.bodyData).extra_specs) ?? [:]
    }

    /// `POST /flavors` (id chosen by Nova, public), then `POST /flavors/{id}/os-extra_specs`.
    private func create(_ flavor: NovaFlavor) async throws {
        let body = try JSONSerialization.body(["flavor": [
            "name": flavor.name, "vcpus": flavor.vcpus, "ram": flavor.ramMB, "disk": flavor.diskGB,
            "OS-FLV-EXT-DATA:ephemeral": flavor.ephemeralGB, "os-flavor-access:is_public": true,
        ]])
        // Not sent again after a lost answer or a 500: Nova may have made the flavor.
        let response = try await nova.send("POST", url("flavors"), operation: "POST /flavors", json: body, idempotent: false)
        struct Created: Decodable { struct Item: Decodable { let id: String }; let flavor: Item }
        guard let id = try? JSONDecoder().decode(Created.self, from: response.bodyData).flavor.id else {
            throw OpenStackError.badResponse(url: url("flavors").absoluteString, reason: "no flavor id in the answer")
        }
        guard !flavor.extraSpecs.isEmpty else { return }
        _ = try await nova.send(
            "POST", url("flavors/\(id)/os-extra_specs"), operation: "POST /flavors/{id}/os-extra_specs",
            json: try JSONSerialization.body(["extra_specs": flavor.extraSpecs]))
    }

    private func url(_ path: String) -> URL { compute.appendingPathComponent(path) }
}
