import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP client for the length of a command: sends requests again after 429s, 5xx answers and lost
/// connections (with `RetryPolicy`), and turns every failure into a `CloudError` whose server-given text has
/// been redacted. Redirects are not followed, so credentials never travel to another host.
final class HTTPTransport: Sendable {
    /// A response with its whole body (bodies dibkit reads are small: JSON and S3's XML).
    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: ByteBuffer

        var bodyText: String { String(buffer: body) }
    }

    /// Told before each wait for another try, so progress can say why nothing moves.
    struct RetryNotice: Sendable {
        var service: String
        var operation: String
        var attempt: Int
        var delay: Duration
        var reason: String
    }

    let redactor: SecretRedactor
    let retry: RetryPolicy
    private let client: HTTPClient
    private let onRetry: @Sendable (RetryNotice) -> Void

    private init(redactor: SecretRedactor, retry: RetryPolicy, onRetry: @escaping @Sendable (RetryNotice) -> Void) {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.timeout = .init(connect: .seconds(30), read: .seconds(120))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.redactor = redactor
        self.retry = retry
        self.onRetry = onRetry
    }

    /// Runs `body` with a transport that is shut down afterwards, also on error and cancellation.
    static func with<T: Sendable>(
        redactor: SecretRedactor, retry: RetryPolicy, onRetry: @escaping @Sendable (RetryNotice) -> Void,
        _ body: (HTTPTransport) async throws -> T
    ) async throws -> T {
        let transport = HTTPTransport(redactor: redactor, retry: retry, onRetry: onRetry)
        do {
            let result = try await body(transport)
            try await transport.client.shutdown()
            return result
        } catch {
            try? await transport.client.shutdown()
            throw error
        }
    }

    /// Sends the request `makeRequest` builds (anew for each try, so signatures and body streams are fresh)
    /// and returns the first response that is not worth retrying, whatever its status.
    /// - Parameters:
    ///   - idempotent: whether sending twice is harmless. Only idempotent requests are retried after a lost
    ///     connection or a 500/502/504; every request is retried after 429 and 503 (refused unprocessed).
    ///   - timeout: for one try, sending included.
    /// - Throws: `CloudError.unreachable` when no try got an answer; `CancellationError` when cancelled.
    func send(
        service: String, operation: String, idempotent: Bool, timeout: Duration = .seconds(120),
        _ makeRequest: @Sendable () async throws -> HTTPClientRequest
    ) async throws -> Response {
        var attempt = 1
        while true {
            let request = try await makeRequest()
            let outcome: Result<Response, any Error>
            do {
                let response = try await client.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
                let body = try await response.body.collect(upTo: 8 << 20)
                outcome = .success(Response(status: Int(response.status.code), headers: response.headers, body: body))
            } catch {
                try Task.checkCancellation()
                outcome = .failure(error)
            }
            let (retryable, reason, retryAfter) = Self.judge(outcome, idempotent: idempotent)
            if !retryable || attempt >= retry.attempts {
                switch outcome {
                case .success(let response): return response
                case .failure(let error):
                    throw CloudError.unreachable(name: service, operation: operation, reason: redactor.redact("\(error)"))
                }
            }
            if let retryAfter, retryAfter > retry.longestRetryAfter, case .success(let response) = outcome {
                return response
            }
            let delay = retry.delay(afterAttempt: attempt, retryAfter: retryAfter)
            onRetry(RetryNotice(service: service, operation: operation, attempt: attempt, delay: delay, reason: redactor.redact(reason)))
            try await Task.sleep(for: delay)
            attempt += 1
        }
    }

    /// Whether an outcome is worth another try, why, and how long the server asked to wait.
    private static func judge(_ outcome: Result<Response, any Error>, idempotent: Bool) -> (Bool, String, Duration?) {
        switch outcome {
        case .failure(let error):
            return (idempotent, "\(error)", nil)
        case .success(let response):
            let status = response.status
            let retryable = status == 429 || status == 503 || (idempotent && [500, 502, 504].contains(status))
            let wait = RetryPolicy.retryAfter(status: status) { response.headers.first(name: $0) }
            return (retryable, "HTTP \(status)", wait)
        }
    }
}

extension Duration {
    /// Whole nanoseconds, for APIs that take `TimeAmount`.
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
