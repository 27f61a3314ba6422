import Foundation

/// The cloud's settings for the Trove guest agent of an image built with `DIBKIT_GUEST_AGENT=trove`: they
/// fill the template the `guest-agent` element leaves at `templatePath` into `configPath`.
public struct TroveAgentSettings: Sendable, Equatable, CustomStringConvertible {
    /// The message queue the agent talks to Trove through, e.g. `rabbit://trove:PASSWORD@10.0.0.5:5672/`.
    /// It holds a password: never printed.
    public var transportURL: String
    /// The oslo.messaging exchange of Trove's services (Trove's default is `trove`).
    public var controlExchange: String

    /// Where the `guest-agent` element puts the template (its datastore manager already filled in).
    public static let templatePath = "/usr/share/dibkit/trove/dibkit-cloud.conf.in"
    /// Where the agent reads the rendered settings (`/etc/trove/conf.d`, next to Trove's `guest_info.conf`).
    public static let configPath = "/etc/trove/conf.d/dibkit-cloud.conf"

    /// Checks the values: a `scheme://…` URL and an exchange name, each on one line.
    /// - Throws: `TouchError.badTroveSetting` naming the option and the rule.
    public init(transportURL: String, controlExchange: String = "trove") throws {
        guard let scheme = transportURL.range(of: "://").map({ transportURL[..<$0.lowerBound] }), !scheme.isEmpty,
              scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" }),
              !transportURL.contains(where: { $0.isNewline || $0 == " " })
        else {
            throw TouchError.badTroveSetting(
                option: "--trove-transport-url", reason: "is not a transport URL like rabbit://USER:PASSWORD@HOST:5672/")
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
        guard !controlExchange.isEmpty, controlExchange.allSatisfy(allowed.contains) else {
            throw TouchError.badTroveSetting(
                option: "--trove-control-exchange", reason: "'\(controlExchange)' must be letters, digits, _ . or - (Trove's default: trove)")
        }
        self.transportURL = transportURL
        self.controlExchange = controlExchange
    }

    /// The scheme and host of the transport URL, without user or password.
    public var description: String {
        let afterScheme = transportURL.range(of: "://").map { transportURL[$0.upperBound...] } ?? ""
        let host = afterScheme.split(separator: "@").last.map { $0.split(separator: "/").first ?? "" } ?? ""
        let scheme = transportURL.range(of: "://").map { String(transportURL[..<$0.lowerBound]) } ?? ""
        return "transport \(scheme)://…@\(host), control exchange \(controlExchange)"
    }

    /// `template` with `@TRANSPORT_URL@` and `@CONTROL_EXCHANGE@` filled in.
    /// - Throws: `TouchError.troveTemplateUnfilled` when other `@NAME@` fields remain.
    func render(_ template: String) throws -> String {
        let left = Self.placeholders(in: template).filter { !["@TRANSPORT_URL@", "@CONTROL_EXCHANGE@"].contains($0) }
        guard left.isEmpty else { throw TouchError.troveTemplateUnfilled(left) }
        return template.replacingOccurrences(of: "@TRANSPORT_URL@", with: transportURL)
            .replacingOccurrences(of: "@CONTROL_EXCHANGE@", with: controlExchange)
    }

    /// `@NAME@` fields (capitals, digits, `_`) of `text` outside comment lines, in order, each once.
    static func placeholders(in text: String) -> [String] {
        var found: [String] = []
        for line in text.split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).hasPrefix("#") {
            let pieces = line.split(separator: "@", omittingEmptySubsequences: false)
            for piece in pieces.dropFirst().dropLast() where !piece.isEmpty
                && piece.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) && !found.contains("@\(piece)@") {
                found.append("@\(piece)@")
            }
        }
        return found
    }
}
