import Foundation
import Testing

@testable import CloudHTTP

@Suite("Secrets stay out of texts; retries wait as servers ask")
struct RedactionAndRetryTests {
    @Test("known secrets and credential-shaped values are masked, labels kept")
    func redaction() {
        let redactor = SecretRedactor(secrets: ["dop_v1_abc123", "AKIAEXAMPLE", "s3cr3t/with+chars"])
        let text = """
            token dop_v1_abc123 key AKIAEXAMPLE secret s3cr3t/with+chars
            Authorization: AWS4-HMAC-SHA256 Credential=X/20260101/nyc3/s3/aws4_request, Signature=0123456789abcdef0123456789abcdef
            GET /x?X-Amz-Signature=deadbeefdeadbeef&X-Amz-Credential=AKIA%2F2026 Bearer dop_v1_ffff0000
            <Error><Code>SignatureDoesNotMatch</Code><StringToSign>AWS4-HMAC-SHA256 20260101</StringToSign><SignatureProvided>abcd</SignatureProvided></Error>
            """
        let redacted = redactor.redact(text)
        for secret in ["dop_v1_abc123", "AKIAEXAMPLE", "s3cr3t/with+chars", "0123456789abcdef0123456789abcdef", "deadbeefdeadbeef",
                       "AKIA%2F2026", "ffff0000", "AWS4-HMAC-SHA256 20260101", "<SignatureProvided>abcd"] {
            #expect(!redacted.contains(secret), "\(secret) left in: \(redacted)")
        }
        #expect(redacted.contains("Authorization: [redacted]"))
        #expect(redacted.contains("<Code>SignatureDoesNotMatch</Code>"))
    }

    @Test("Retry-After as seconds or an HTTP date; DigitalOcean's ratelimit-reset on 429 only")
    func retryAfter() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        func wait(_ status: Int, _ headers: [String: String]) -> Duration? {
            RetryPolicy.retryAfter(status: status, now: now) { name in headers.first { $0.key.lowercased() == name.lowercased() }?.value }
        }
        #expect(wait(429, ["Retry-After": "3"]) == .seconds(3))
        #expect(wait(503, ["retry-after": "0.5"]) == .milliseconds(500))
        #expect(wait(429, ["Retry-After": "Tue, 14 Nov 2023 22:13:40 GMT"]) == .seconds(20))
        #expect(wait(429, ["ratelimit-reset": "1700000007"]) == .seconds(7))
        #expect(wait(500, ["ratelimit-reset": "1700000007"]) == nil)
        #expect(wait(429, [:]) == nil)
    }

    @Test("backoff doubles up to the cap, with at most a quarter added, and never undercuts Retry-After")
    func backoff() {
        let policy = RetryPolicy(attempts: 6, initialDelay: .seconds(1), maximumDelay: .seconds(5))
        for (attempt, base) in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (5, 5.0)] {
            let delay = policy.delay(afterAttempt: attempt)
            #expect(delay >= .milliseconds(Int64(base * 1000)) && delay <= .milliseconds(Int64(base * 1250)))
        }
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(9)) == .seconds(9))
    }
}
