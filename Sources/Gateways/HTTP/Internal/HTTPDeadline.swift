/// A point in monotonic time after which a wait gives up, with what to say when it does.
struct HTTPDeadline {
    let instant: ContinuousClock.Instant
    /// Completes "timed out: …", e.g. "no response from api.stripe.com:443 within 30000 ms".
    let explanation: String

    init(afterMilliseconds milliseconds: Int, explanation: String) {
        self.instant = ContinuousClock.now.advanced(by: .milliseconds(milliseconds))
        self.explanation = explanation
    }

    private init(instant: ContinuousClock.Instant, explanation: String) {
        self.instant = instant
        self.explanation = explanation
    }

    /// Whichever of the two comes first.
    func earlier(_ other: HTTPDeadline) -> HTTPDeadline {
        other.instant < instant ? other : self
    }

    /// Milliseconds left, rounded up so a wait never returns just before the deadline; 0 once passed.
    var remainingMilliseconds: Int32 {
        let left = ContinuousClock.now.duration(to: instant)
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }

    var timedOut: HTTPClientError { .timedOut(explanation) }
}
