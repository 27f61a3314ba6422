/// Bodies of the DigitalOcean API v2 calls dibkit makes, named as in its OpenAPI description
/// (`snake_case` on the wire through the API client's coders).
enum DigitalOceanModels {
    /// `POST /v2/images` (`image_new_custom`).
    struct CustomImageRequest: Encodable, Sendable {
        var name: String
        var url: String
        var region: String
        var distribution: String?
        var description: String?
        var tags: [String]?
    }

    struct Image: Decodable, Sendable {
        var id: Int
        var name: String?
        var status: String?
        var errorMessage: String?
        var regions: [String]?
        var minDiskSize: Int?
        var sizeGigabytes: Double?
    }

    struct ImageEnvelope: Decodable, Sendable { var image: Image }

    /// `POST /v2/images/{id}/actions` (`image_action_transfer`).
    struct TransferRequest: Encodable, Sendable {
        var type = "transfer"
        var region: String
    }

    struct Action: Decodable, Sendable {
        var id: Int
        var status: String
        var regionSlug: String?
    }

    struct ActionEnvelope: Decodable, Sendable { var action: Action }

    struct Region: Decodable, Sendable {
        var slug: String
        var available: Bool
        var features: [String]
    }

    /// One page of a list answer.
    protocol ListPage: Decodable, Sendable {
        associatedtype Item
        var items: [Item] { get }
        var links: Links? { get }
    }

    struct RegionPage: ListPage {
        var regions: [Region]
        var links: Links?
        var items: [Region] { regions }
    }

    /// A firewall as sent (`firewall` without its read-only fields) and as read back.
    struct Firewall: Codable, Sendable, Equatable {
        var id: String?
        var name: String
        var inboundRules: [Rule]?
        var outboundRules: [Rule]?
        var dropletIds: [Int]?
        var tags: [String]?

        /// The body for `POST`/`PUT`: everything but the id.
        var body: Firewall {
            var copy = self
            copy.id = nil
            return copy
        }
    }

    struct Rule: Codable, Sendable, Equatable {
        var `protocol`: String
        var ports: String
        var sources: Targets?
        var destinations: Targets?
    }

    /// Where a rule's traffic may come from or go to.
    struct Targets: Codable, Sendable, Equatable {
        var addresses: [String]?
        var dropletIds: [Int]?
        var loadBalancerUids: [String]?
        var kubernetesIds: [String]?
        var tags: [String]?
    }

    struct FirewallEnvelope: Decodable, Sendable { var firewall: Firewall }

    struct FirewallPage: ListPage {
        var firewalls: [Firewall]
        var links: Links?
        var items: [Firewall] { firewalls }
    }

    /// `POST /v2/tags`.
    struct TagRequest: Encodable, Sendable { var name: String }

    struct Links: Decodable, Sendable {
        struct Pages: Decodable, Sendable { var next: String? }
        var pages: Pages?
    }

    /// An error answer: `{"id": "unauthorized", "message": "Unable to authenticate you"}`.
    struct ErrorBody: Decodable, Sendable {
        var id: String?
        var message: String?
    }
}
