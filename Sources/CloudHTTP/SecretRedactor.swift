import Foundation

/// Removes secrets from text before it can reach output, a log or an error: the values it was given
/// (API token, access key id, secret key, password) and anything shaped like a credential or a signature
/// (`Authorization` values, `Signature=…`, `X-Amz-Signature`, `Bearer …`, S3's echoed `StringToSign`,
/// `X-Auth-Token` values, Keystone's Fernet and JWS tokens).
public struct SecretRedactor: Sendable {
    /// What stands where a secret was.
    public static let mask = "[redacted]"

    private let secrets: [String]

    /// - Parameter secrets: values never to show; empty strings are ignored.
    public init(secrets: [String]) {
        // Longest first, so a secret containing another is removed whole.
        self.secrets = Set(secrets.filter { !$0.isEmpty }).sorted { $0.count > $1.count }
    }

    /// `text` with every known secret and every credential-shaped value replaced by `mask`.
    public func redact(_ text: String) -> String {
        var result = text
        for secret in secrets {
            result = result.replacingOccurrences(of: secret, with: Self.mask)
        }
        for pattern in Self.credentialShapes {
            result = result.replacing(pattern) { match in match.output.1 + Self.mask }
        }
        return result
    }

    /// Each keeps its label (the capture) and masks the value after it.
    private static var credentialShapes: [Regex<(Substring, Substring)>] {
        [
            #/(?i)(authorization\s*[:=]\s*)[^\r\n]+/#,
            #/(?i)(bearer\s+)[A-Za-z0-9._~+\/=-]+/#,
            #/(?i)(x-amz-signature=)[0-9a-f]+/#,
            #/(?i)(x-amz-credential=)[^&\s]+/#,
            #/(?i)(signature\s*=\s*)[0-9a-f]{16,}/#,
            #/(?i)(<SignatureProvided>)[^<]*/#,
            #/(?i)(<StringToSign>)[^<]*/#,
            #/(?i)(<StringToSignBytes>)[^<]*/#,
            #/(?i)(<CanonicalRequest>)[^<]*/#,
            #/(?i)(<AWSAccessKeyId>)[^<]*/#,
            #/(dop_v1_)[0-9a-f]+/#,
            #/(?i)(x-(?:auth|subject)-token\s*[:=]\s*)[^\s,;]+/#,
            #/(gAAAAA)[A-Za-z0-9_=-]{20,}/#,
            #/(eyJ)[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/#,
        ]
    }
}
