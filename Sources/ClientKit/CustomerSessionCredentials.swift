import RPCCore

/// A customer's session as call credentials: signs in with email and password (AuthService
/// Login) at the first call that needs it, sends `authorization: Bearer <access token>`, renews
/// the token with its refresh token shortly before it expires (a tenth of its lifetime before,
/// at most 30 s) and once after the server rejected it, and signs in again when the refresh token
/// is refused. Concurrent calls share one sign-in or renewal.
///
/// Public methods (Login, RefreshToken, RegisterCustomer) and Logout carry no token. The password
/// and the tokens appear in no description, debug output, `dump` or error.
public final class CustomerSessionCredentials: CallCredentials {
    /// The email the customer signs in with.
    public let email: String
    private let session: SessionKeeper

    /// Credentials signing `email` in with `password` over `signInChannel`, or, when that is nil,
    /// over the `GRPCChannel` they are configured on (the first one, if several).
    public init(email: String, password: String, signInChannel: (any RPCChannel)? = nil) {
        self.email = email
        session = SessionKeeper(signInChannel: signInChannel) {
            var request = Medexpress_V1_LoginRequest()
            request.email = email
            request.password = password
            return request
        }
    }

    /// `authorization: Bearer <access token>`, signing in or renewing first when needed; nothing
    /// for public methods and Logout. Throws the status of a refused sign-in (UNAUTHENTICATED).
    public func metadata(for method: MethodDescriptor) async throws -> Metadata {
        try await session.metadata(for: method)
    }

    /// Renews the session after the server rejected `rejected`, unless a concurrent call did so
    /// already: with the refresh token, or by signing in again when that is refused.
    public func refresh(rejected: Metadata) async throws {
        try await session.refresh(rejected: rejected)
    }

    /// Ends the session on the server (AuthService Logout; every session of the customer when
    /// `allSessions`) and forgets its tokens, even when Logout fails; the next call signs in again.
    /// A sign-in under way is waited for and its session ended; an expired access token is first
    /// renewed with the refresh token (never by signing in), since only a valid one can sign out.
    public func signOut(allSessions: Bool = false) async throws {
        try await session.signOut(allSessions: allSessions)
    }
}

extension CustomerSessionCredentials: ChannelAwareCredentials {
    func configured(on channel: GRPCChannel) {
        session.configured(on: channel)
    }
}

extension CustomerSessionCredentials: CustomStringConvertible {
    /// The email and the session's state; the password and tokens are redacted. `dump`
    /// shows no secret either: the password lives only in the sign-in closure, the tokens behind a lock.
    public var description: String {
        "CustomerSessionCredentials(email: \(email), password: <redacted>, session: \(session.summary))"
    }
}
