import Glibc
import RPCCore

/// The tokens of a signed-in session and when to renew the access token.
struct SessionTokens: Sendable {
    /// Sent as `authorization: Bearer <accessToken>`.
    let accessToken: String
    /// Exchanged once for new tokens (AuthService RefreshToken).
    let refreshToken: String
    /// When to renew the access token, a margin before it expires; nil when the server named no
    /// expiry or the token looked expired on arrival (the clocks disagree): then it is used until
    /// the server rejects it, rather than renewed at every call.
    let renewAt: ContinuousClock.Instant?

    /// The largest renewal margin: a 15-minute staff token is renewed 30 s before it expires.
    static let maxRenewalMargin: Duration = .seconds(30)

    /// The tokens of `session`, which arrived at `receivedAt`.
    init(_ session: Medexpress_V1_Session, receivedAt: ContinuousClock.Instant = .now) throws(Status) {
        guard !session.accessToken.isEmpty, !session.refreshToken.isEmpty else {
            throw Status(.internalError, "the server's session lacks an access or a refresh token")
        }
        accessToken = session.accessToken
        refreshToken = session.refreshToken
        guard let expiresAt = session.accessTokenExpiresAt else {
            renewAt = nil
            return
        }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let lifetime = Duration.seconds(expiresAt.seconds - Int64(now.tv_sec))
            + .nanoseconds(Int64(expiresAt.nanos) - Int64(now.tv_nsec))
        renewAt = lifetime > .zero ? receivedAt + lifetime - Self.renewalMargin(forLifetime: lifetime) : nil
    }

    /// How long before expiry a token living `lifetime` is renewed: a tenth of its lifetime, at
    /// most `maxRenewalMargin` (a 2-second token is renewed after 1.8 s).
    static func renewalMargin(forLifetime lifetime: Duration) -> Duration {
        min(maxRenewalMargin, lifetime / 10)
    }

    /// Whether the access token should be renewed before it is sent at `now`.
    func isDue(at now: ContinuousClock.Instant) -> Bool {
        renewAt.map { now >= $0 } ?? false
    }

    /// The `authorization` metadata carrying the access token.
    var authorization: Metadata {
        var metadata = Metadata()
        metadata.add("authorization", "Bearer \(accessToken)")
        return metadata
    }
}
