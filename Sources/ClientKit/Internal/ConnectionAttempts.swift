import RPCCore

/// A channel's record of its connection attempts under `ConnectionBackoff`: how many failed in a
/// row, when the next may start and what the last one died of. A value inside `ChannelCore`,
/// so loop-confined like it.
struct ConnectionAttempts {
    /// One attempt's schedule, fixed when it starts.
    struct Attempt {
        /// 1 for the first attempt after a success (or ever), then 2, 3, …
        let number: Int
        let start: ContinuousClock.Instant
        /// The wait from `start` before another attempt may start if this one fails.
        let backoff: Duration
        /// The time this attempt may take before it is given up.
        let timeout: Duration
    }

    let policy: ConnectionBackoff
    private(set) var consecutiveFailures = 0
    private(set) var nextAttemptAllowedAt: ContinuousClock.Instant?
    private(set) var lastError: String?

    init(policy: ConnectionBackoff) {
        self.policy = policy
    }

    /// The schedule of an attempt starting `now`.
    func begin(at now: ContinuousClock.Instant) -> Attempt {
        let number = consecutiveFailures + 1
        let backoff = policy.backoff(afterAttempt: number)
        return Attempt(number: number, start: now, backoff: backoff, timeout: policy.connectTimeout(forBackoff: backoff))
    }

    /// `attempt` failed with `error`: no attempt before its backoff has passed. Attempts that ran
    /// at the same time (a pool opening several connections) count once, by their number.
    mutating func failed(_ attempt: Attempt, error: String) {
        consecutiveFailures = max(consecutiveFailures, attempt.number)
        let allowedAt = attempt.start + attempt.backoff
        nextAttemptAllowedAt = nextAttemptAllowedAt.map { max($0, allowedAt) } ?? allowedAt
        lastError = error
    }

    /// A connection reached HTTP/2: the spec resets the backoff.
    mutating func succeeded() {
        consecutiveFailures = 0
        nextAttemptAllowedAt = nil
        lastError = nil
    }

    /// Why no new connection to `target` may be attempted at `now`, or nil when one may.
    func refusal(at now: ContinuousClock.Instant, target: SocketAddress) -> Status? {
        guard let allowedAt = nextAttemptAllowedAt, now < allowedAt else { return nil }
        let milliseconds = Int(((allowedAt - now) / .milliseconds(1)).rounded(.up))
        let attempts = consecutiveFailures == 1 ? "1 failed connection attempt" : "\(consecutiveFailures) failed connection attempts in a row"
        return Status(.unavailable,
                      "not connecting to \(target) yet: backing off after \(attempts); the next attempt is allowed in \(milliseconds) ms; last error: \(lastError ?? "unknown")")
    }
}
