import RPCCore
import Synchronization

/// The session behind `CustomerSessionCredentials` and `StaffSessionCredentials`: signs in when
/// there is none, renews the access token with the refresh token shortly before it expires and
/// after the server rejected it, signs in afresh when the refresh token is refused, and makes
/// concurrent calls share one sign-in or renewal.
final class SessionKeeper: Sendable {
    /// Makes the Login request of one sign-in (a staff member's asks for a TOTP code).
    typealias LoginRequestMaker = @Sendable () async throws -> Medexpress_V1_LoginRequest

    /// Each Login, RefreshToken and Logout call fails with DEADLINE_EXCEEDED past this, and so do
    /// the calls waiting for it.
    static let authCallTimeout: Duration = .seconds(20)

    private struct State {
        var tokens: SessionTokens?
        /// The sign-in or renewal under way: every call needing a token waits for this one.
        var renewal: Task<SessionTokens, any Error>?
        /// Counts sign-outs: a renewal begun before one must not sign the session back in.
        var signOuts = 0
        /// The channel the credentials are configured on, for signing in when no other was given.
        weak var configuredChannel: GRPCChannel?
    }

    private let signInChannel: (any RPCChannel)?
    private let loginRequest: LoginRequestMaker
    private let state = Mutex(State())

    /// A session signing in over `signInChannel` (nil: the channel it is configured on) with the
    /// requests `loginRequest` makes.
    init(signInChannel: (any RPCChannel)?, loginRequest: @escaping LoginRequestMaker) {
        self.signInChannel = signInChannel
        self.loginRequest = loginRequest
    }

    /// Remembers the first channel configured with the credentials.
    func configured(on channel: GRPCChannel) {
        state.withLock { state in
            if state.configuredChannel == nil { state.configuredChannel = channel }
        }
    }

    /// Where the session stands, with no secret in it: for descriptions.
    var summary: String {
        state.withLock { state in
            if state.renewal != nil { return state.tokens == nil ? "signing in" : "renewing" }
            return state.tokens == nil ? "signed out" : "signed in"
        }
    }

    // MARK: Calls

    /// The `authorization` metadata for a call of `method`, signing in or renewing first when needed.
    ///
    /// Public methods (Login, RefreshToken, RegisterCustomer) get none: they need no token, the
    /// server refuses a call carrying an invalid one, and a sign-in must not wait for itself.
    /// Logout gets none either: `signOut()` sends the token of the session it ends.
    func metadata(for method: MethodDescriptor) async throws -> Metadata {
        if method.medexpress_v1_auth?.public == true || method.path == Self.logoutPath { return Metadata() }
        return try await currentTokens().authorization
    }

    /// Renews the session after the server rejected `rejected`, unless it was renewed since.
    func refresh(rejected: Metadata) async throws {
        // No token was rejected (a sign-in call was refused): waiting for the renewal under way
        // could mean the sign-in waiting for itself.
        guard !rejected.isEmpty else { return }
        let renewal = state.withLock { state -> Task<SessionTokens, any Error>? in
            guard let tokens = state.tokens, rejected == tokens.authorization else {
                // Renewed or signed out since: the next attempt gets the newer token, or signs in.
                return state.renewal
            }
            return state.renewal ?? startRenewal(&state, from: tokens)
        }
        _ = try await renewal?.value
    }

    /// Ends the session on the server and forgets its tokens; a sign-in or renewal under way is
    /// waited for and its session ended too.
    func signOut(allSessions: Bool) async throws {
        let (tokens, renewal, channel) = state.withLock { state in
            state.signOuts += 1
            defer {
                state.tokens = nil
                state.renewal = nil
            }
            return (state.tokens, state.renewal, signInChannel ?? state.configuredChannel)
        }
        var ending = tokens
        if let renewal, let renewed = try? await renewal.value { ending = renewed }
        guard var ending else { return }
        let client = try Self.client(over: channel)
        if ending.isDue(at: .now) {
            // An expired access token cannot end its session: renew it (never by signing in);
            // a refused refresh token means the session cannot be used any more anyway.
            guard let renewed = try await Self.refreshed(ending, client: client) else { return }
            ending = renewed
        }
        var request = Medexpress_V1_LogoutRequest()
        request.allSessions = allSessions
        _ = try await client.logout(request, metadata: ending.authorization, options: Self.authCallOptions)
    }

    // MARK: Renewal

    /// The session's tokens, after a sign-in or renewal when there are none or they are due.
    private func currentTokens() async throws -> SessionTokens {
        let now = ContinuousClock.now
        let next = state.withLock { state -> NextStep in
            if let tokens = state.tokens, !tokens.isDue(at: now) { return .current(tokens) }
            return .renewing(state.renewal ?? startRenewal(&state, from: state.tokens))
        }
        switch next {
        case .current(let tokens): return tokens
        case .renewing(let renewal): return try await renewal.value
        }
    }

    /// What a call needing tokens does: send the current ones, or wait for the renewal.
    private enum NextStep {
        case current(SessionTokens)
        case renewing(Task<SessionTokens, any Error>)
    }

    /// Starts renewing `tokens` (signing in when nil) as the renewal every call waits for.
    private func startRenewal(_ state: inout State, from tokens: SessionTokens?) -> Task<SessionTokens, any Error> {
        let signOuts = state.signOuts
        let channel = signInChannel ?? state.configuredChannel
        let renewal = Task {
            do {
                let renewed = try await self.renewed(from: tokens, over: channel)
                self.finishRenewal(signOuts: signOuts, renewed: renewed)
                return renewed
            } catch {
                self.finishRenewal(signOuts: signOuts, renewed: nil)
                throw error
            }
        }
        state.renewal = renewal
        return renewal
    }

    /// Records a renewal's outcome unless the session was signed out meanwhile. A failed renewal
    /// keeps the old tokens: the next call tries again.
    private func finishRenewal(signOuts: Int, renewed: SessionTokens?) {
        state.withLock { state in
            guard state.signOuts == signOuts else { return }
            state.renewal = nil
            if let renewed { state.tokens = renewed }
        }
    }

    /// New tokens: from the refresh token when there is one and the server takes it, else by
    /// signing in.
    private func renewed(from tokens: SessionTokens?, over channel: (any RPCChannel)?) async throws -> SessionTokens {
        let client = try Self.client(over: channel)
        if let tokens, let refreshed = try await Self.refreshed(tokens, client: client) { return refreshed }
        let session = try await client.login(try await loginRequest(), options: Self.authCallOptions)
        return try SessionTokens(session)
    }

    /// `tokens` exchanged for new ones; nil when the server refused the refresh token (used,
    /// expired, revoked or, for staff, presented with another certificate).
    private static func refreshed(_ tokens: SessionTokens, client: Medexpress_V1_AuthServiceClient) async throws
        -> SessionTokens? {
        var request = Medexpress_V1_RefreshTokenRequest()
        request.refreshToken = tokens.refreshToken
        do {
            return try SessionTokens(try await client.refreshToken(request, options: authCallOptions))
        } catch let status as Status where status.code == .unauthenticated {
            return nil
        }
    }

    private static let logoutPath = Medexpress_V1_AuthService.Method.logout.descriptor.path

    private static var authCallOptions: CallOptions { CallOptions(timeout: authCallTimeout) }

    private static func client(over channel: (any RPCChannel)?) throws(Status) -> Medexpress_V1_AuthServiceClient {
        guard let channel else {
            throw Status(.failedPrecondition, "the session credentials have no channel to sign in over: "
                         + "give them one, or configure them on a GRPCChannel that is still open")
        }
        return Medexpress_V1_AuthServiceClient(channel: channel)
    }
}
