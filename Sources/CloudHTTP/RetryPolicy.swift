public import Foundation

/// How often and how long to wait before sending a request again: exponential backoff with jitter, and
/// never sooner than a server's `Retry-After`.
public struct RetryPolicy: Sendable, Equatable {
    /// Tries in all, the first included.
    public var attempts: Int
    /// The wait after the first failure; each later one is `multiplier` times longer, up to `maximumDelay`.
    public var initialDelay: Duration
    public var maximumDelay: Duration
    public var multiplier: Double
    /// The longest `Retry-After` honoured; a server asking for more fails the request instead.
    public var longestRetryAfter: Duration

    public init(attempts: Int, initialDelay: Duration, maximumDelay: Duration, multiplier: Double = 2,
                longestRetryAfter: Duration = .seconds(600)) {
        self.attempts = attempts
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.multiplier = multiplier
        self.longestRetryAfter = longestRetryAfter
    }

    /// Five tries, waiting about 1, 2, 4 and 8 seconds between them.
    public static let standard = RetryPolicy(attempts: 5, initialDelay: .seconds(1), maximumDelay: .seconds(30))

    /// The wait after failed try number `attempt` (1-based): the backoff with up to a quarter of it added at
    /// random (so parallel parts do not retry in step), or `retryAfter` if the server asked for longer.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration? = nil) -> Duration {
        let exponent = Double(max(0, attempt - 1))
        let backoff = min(initialDelay * pow(multiplier, exponent), maximumDelay)
        let jittered = backoff + backoff * Double.random(in: 0...0.25)
        guard let retryAfter else { return jittered }
        return max(jittered, retryAfter)
    }

    /// The wait a response asks for: `Retry-After` as seconds or as an HTTP date, else DigitalOcean's
    /// `ratelimit-reset` (the epoch second when the limit resets) on a 429.
    /// - Parameters:
    ///   - header: looks a header up by name, case-insensitively.
    ///   - status: the response status.
    ///   - now: the current time, for dates.
    public static func retryAfter(status: Int, now: Date = Date(), header: (String) -> String?) -> Duration? {
        if let value = header("Retry-After")?.trimmingCharacters(in: .whitespaces) {
            if let seconds = Double(value), seconds >= 0 { return .milliseconds(Int64(seconds * 1000)) }
            if let date = httpDate(value) { return .milliseconds(Int64(max(0, date.timeIntervalSince(now)) * 1000)) }
        }
        if status == 429, let reset = header("ratelimit-reset").flatMap(Double.init) {
            return .milliseconds(Int64(max(0, reset - now.timeIntervalSince1970) * 1000))
        }
        return nil
    }

    /// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form RFC 9110 requires senders to use.
    private static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}
