import RPCCore

/// When a channel may try to connect again after a connection attempt failed, and how long one
/// attempt may take: gRPC's connection-backoff spec (doc/connection-backoff.md). While the wait
/// runs the channel fails new calls at once with UNAVAILABLE instead of connecting again, so a
/// server that is down is not hammered with connects and callers learn of the outage at once.
/// The fields are constants so that the invariants `init` checks hold wherever the value goes.
public struct ConnectionBackoff: Sendable, Hashable {
    /// The wait after the first failed attempt (the spec's INITIAL_BACKOFF).
    public let initialBackoff: Duration
    /// How much the wait grows with each further failed attempt (MULTIPLIER).
    public let multiplier: Double
    /// The fraction by which each wait after the first varies at random either way (JITTER), so
    /// that clients which lost a server together do not come back together.
    public let jitter: Double
    /// The longest wait, before jitter (MAX_BACKOFF).
    public let maxBackoff: Duration
    /// The least time one attempt gets for name resolution, TCP, TLS and the server's SETTINGS
    /// (MIN_CONNECT_TIMEOUT); an attempt whose backoff is longer gets its backoff instead.
    public let minConnectTimeout: Duration

    /// The spec's defaults: 1 s, ×1.6, ±20 %, at most 120 s, attempts of at least 20 s.
    public init(initialBackoff: Duration = .seconds(1), multiplier: Double = 1.6, jitter: Double = 0.2,
                maxBackoff: Duration = .seconds(120), minConnectTimeout: Duration = .seconds(20)) {
        precondition(initialBackoff > .zero && maxBackoff >= initialBackoff && multiplier >= 1,
                     "backoff must be positive, bounded by maxBackoff, and must not shrink")
        precondition((0..<1).contains(jitter), "jitter must be a fraction in 0..<1")
        precondition(minConnectTimeout > .zero, "minConnectTimeout must be positive")
        self.initialBackoff = initialBackoff
        self.multiplier = multiplier
        self.jitter = jitter
        self.maxBackoff = maxBackoff
        self.minConnectTimeout = minConnectTimeout
    }

    /// The wait before jitter from the start of attempt number `attempt` (1 for the first) to
    /// the earliest start of the next: `initialBackoff`, grown by `multiplier` for each attempt
    /// after the first, at most `maxBackoff`.
    public func baseBackoff(afterAttempt attempt: Int) -> Duration {
        var backoff = initialBackoff
        for _ in 1..<max(1, attempt) {
            guard backoff < maxBackoff, multiplier > 1 else { break }
            backoff = min(backoff * multiplier, maxBackoff)
        }
        return backoff
    }

    /// The wait actually used after attempt number `attempt`: `baseBackoff` ± `jitter`. The
    /// spec's first deadline is exactly INITIAL_BACKOFF, so the first wait has no jitter.
    public func backoff(afterAttempt attempt: Int) -> Duration {
        let base = baseBackoff(afterAttempt: attempt)
        guard attempt > 1, jitter > 0 else { return base }
        return base * Double.random(in: (1 - jitter)...(1 + jitter))
    }

    /// The time an attempt whose backoff is `backoff` may take: the spec's
    /// `max(current_deadline, now + MIN_CONNECT_TIMEOUT)`, as a duration from the attempt's start.
    public func connectTimeout(forBackoff backoff: Duration) -> Duration {
        max(backoff, minConnectTimeout)
    }
}
