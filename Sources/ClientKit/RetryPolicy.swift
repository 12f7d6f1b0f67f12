import RPCCore

/// When and how often a failed unary call is tried again: exponential backoff with full jitter,
/// never past the call's deadline. Only methods declared idempotent (or calls whose options say
/// `retryable`) are retried, and only for the listed status codes.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in total, the first included; 1 disables retries.
    public var maxAttempts: Int = 4
    /// The backoff ceiling before the first retry.
    public var initialBackoff: Duration = .milliseconds(100)
    /// The largest backoff ceiling.
    public var maxBackoff: Duration = .seconds(5)
    /// How much the ceiling grows after each retry.
    public var backoffMultiplier: Double = 2
    /// The status codes that make a call worth retrying.
    public var retryableStatusCodes: Set<Status.Code> = [.unavailable]

    /// The most attempts a policy may ask for.
    public static let attemptLimit = 10

    public init(maxAttempts: Int = 4, initialBackoff: Duration = .milliseconds(100), maxBackoff: Duration = .seconds(5),
                backoffMultiplier: Double = 2, retryableStatusCodes: Set<Status.Code> = [.unavailable]) {
        precondition((1...Self.attemptLimit).contains(maxAttempts), "maxAttempts must be 1...\(Self.attemptLimit)")
        precondition(initialBackoff > .zero && maxBackoff >= initialBackoff && backoffMultiplier >= 1,
                     "backoff must be positive, bounded by maxBackoff, and must not shrink")
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.backoffMultiplier = backoffMultiplier
        self.retryableStatusCodes = retryableStatusCodes
    }

    /// No retries.
    public static let disabled = RetryPolicy(maxAttempts: 1)

    /// The ceiling of the wait before retry number `retry` (1 for the first retry).
    public func backoffCeiling(beforeRetry retry: Int) -> Duration {
        let initialSeconds = Self.seconds(initialBackoff)
        var ceiling = initialSeconds
        for _ in 1..<max(1, retry) { ceiling *= backoffMultiplier }
        return .nanoseconds(Int64(min(ceiling, Self.seconds(maxBackoff)) * 1e9))
    }

    /// The wait before retry number `retry`: uniformly random between zero and the ceiling
    /// ("full jitter"), so that clients failing together do not retry together.
    public func backoff(beforeRetry retry: Int) -> Duration {
        let ceiling = backoffCeiling(beforeRetry: retry)
        let nanoseconds = Int64(Self.seconds(ceiling) * 1e9)
        return .nanoseconds(nanoseconds > 0 ? Int64.random(in: 0...nanoseconds) : 0)
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
