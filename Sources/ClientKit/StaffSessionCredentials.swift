import RPCCore

/// A staff member's session (ADMIN, PRESCRIBER, PHARMACIST) as call credentials: signs in with
/// username, password and a current TOTP code (AuthService Login) at the first call that needs
/// it, sends `authorization: Bearer <access token>`, renews the short-lived token with its refresh
/// token shortly before it expires (a tenth of its lifetime before, at most 30 s) and once after
/// the server rejected it, and signs in again when the refresh token is refused. Concurrent calls
/// share one sign-in or renewal.
///
/// Staff tokens are bound to the client certificate they were issued over (RFC 8705): the channel
/// these credentials sign in over, and every channel they are used on, must present the staff
/// member's client identity (mTLS: `TLSConfiguration.client(…, certificateChainFile:,
/// privateKeyFile:)`), the same identity every time. Renewals go over the sign-in channel too.
/// Configuring the credentials on that one channel and giving no other is the simple way.
///
/// Public methods (Login, RefreshToken, RegisterCustomer) and Logout carry no token. The password,
/// the TOTP codes and the tokens appear in no description, debug output, `dump` or error.
public final class StaffSessionCredentials: CallCredentials {
    /// Returns a current code from the staff member's authenticator (RFC 6238, 6 digits). The
    /// server accepts each code once, so a code already used for a sign-in must not be returned again.
    public typealias TOTPProvider = @Sendable () async throws -> String

    /// The username the staff member signs in with.
    public let username: String
    private let session: SessionKeeper

    /// Credentials signing `username` in with `password` and a code from `totpCode`, asked at each
    /// sign-in (not at renewals), over `signInChannel`, or, when that is nil, over the `GRPCChannel`
    /// they are configured on (the first one, if several).
    public init(username: String, password: String, signInChannel: (any RPCChannel)? = nil,
                totpCode: @escaping TOTPProvider) {
        self.username = username
        session = SessionKeeper(signInChannel: signInChannel) {
            var request = Medexpress_V1_LoginRequest()
            request.username = username
            request.password = password
            request.totpCode = try await totpCode()
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

    /// Ends the session on the server (AuthService Logout; every session of the staff member when
    /// `allSessions`) and forgets its tokens, even when Logout fails; the next call signs in again.
    /// A sign-in under way is waited for and its session ended; an expired access token is first
    /// renewed with the refresh token (never by signing in), since only a valid one can sign out.
    public func signOut(allSessions: Bool = false) async throws {
        try await session.signOut(allSessions: allSessions)
    }
}

extension StaffSessionCredentials: ChannelAwareCredentials {
    func configured(on channel: GRPCChannel) {
        session.configured(on: channel)
    }
}

extension StaffSessionCredentials: CustomStringConvertible {
    /// The username and the session's state; the password and tokens are redacted. `dump`
    /// shows no secret either: the password lives only in the sign-in closure, the tokens behind a lock.
    public var description: String {
        "StaffSessionCredentials(username: \(username), password: <redacted>, session: \(session.summary))"
    }
}
