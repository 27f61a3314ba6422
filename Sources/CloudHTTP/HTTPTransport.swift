public import AsyncHTTPClient
public import Foundation
import Reporting
public import NIOCore
public import NIOHTTP1

/// One HTTP client for the length of a command, shared by every cloud dibkit talks to: sends requests
/// again after 429s, 5xx answers and lost connections (with `RetryPolicy`), and turns a request that got no
/// answer into `ServiceUnreachable` whose text has been redacted. Redirects are not followed, so
/// credentials never travel to another host.
public final class HTTPTransport: Sendable {
    /// A response with its whole body (bodies dibkit reads are small: JSON and S3's XML).
    public struct Response: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: ByteBuffer

        /// The body as UTF-8 text.
        public var bodyText: String { String(buffer: body) }

        /// The body's bytes, for `JSONDecoder`.
        public var bodyData: Data { Data(body.readableBytesView) }

        /// The first value of header `name` (any case).
        public func header(_ name: String) -> String? { headers.first(name: name) }
    }

    /// Told before each wait for another try, so progress can say why nothing moves.
    public struct RetryNotice: Sendable {
        public var service: String
        public var operation: String
        /// The try that failed (1-based).
        public var attempt: Int
        public var delay: Duration
        /// Why, redacted: `HTTP 503` or the connection error.
        public var reason: String

        /// `Glance PUT /v2/images/{id}/file: HTTP 503; try 2 in 1.1 s`.
        public var text: String {
            let seconds = delay.inSeconds
            return "\(service) \(operation): \(reason); try \(attempt + 1) in " + String(format: "%.1f s", seconds)
        }
    }

    /// Masks secrets in every text that comes from a server or a failed connection.
    public let redactor: SecretRedactor
    public let retry: RetryPolicy
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
    /// - Parameters:
    ///   - redactor: masks secrets in retry reasons and connection errors.
    ///   - retry: how often and how long to wait before sending a request again.
    ///   - onRetry: told before each wait, from any thread.
    public static func with<T: Sendable>(
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
    /// - Throws: `ServiceUnreachable` when no try got an answer; `CancellationError` when cancelled.
    public func send(
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
                    throw ServiceUnreachable(service: service, operation: operation, reason: redactor.redact("\(error)"))
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

/// A request got no answer after every try: connection refused or reset, name not resolved, timed out.
public struct ServiceUnreachable: Error, CustomStringConvertible, Sendable, Equatable {
    public var service: String
    public var operation: String
    /// The last connection error, redacted.
    public var reason: String

    public var description: String {
        "\(service) \(operation): no answer (\(reason)); check the endpoint URL and the network"
    }
}

extension Duration {
    /// Whole nanoseconds, for APIs that take `TimeAmount`.
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

extension String {
    /// This text without `suffix` at its end (a base URL's trailing `/`), or as it is.
    public func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
