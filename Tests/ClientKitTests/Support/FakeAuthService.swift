import ClientKit
import Foundation
import RPCCore
import RPCServer
import Synchronization
import XCTest

/// AuthService as session credentials meet it, with knobs for the tests: tokens live as long as
/// the test says, each Login, RefreshToken and Logout is counted, the next refresh can be
/// refused, and the access tokens issued so far can be refused. Customers sign in with any email
/// and `password`; staff with `password`, any 6-digit code and a client certificate, to whose
/// thumbprint their tokens are bound (RFC 8705).
final class FakeAuthService: Medexpress_V1_AuthServiceProvider {
    static let password = "correct-horse-battery"

    /// One live session.
    private struct Grant {
        var subject: String
        var accessToken: String
        var refreshToken: String
        var accessExpiresAt: ContinuousClock.Instant
        /// Staff only: the certificate the tokens are bound to.
        var thumbprint: String?
    }

    private struct State {
        var accessTokenLifetime: Duration = .seconds(300)
        var logins: [Medexpress_V1_LoginRequest] = []
        var loginPeers: [String] = []
        var refreshes = 0
        var logouts: [Medexpress_V1_LogoutRequest] = []
        var refuseNextRefresh = false
        var refuseEveryToken = false
        var grants: [Grant] = []
        var refusedAccessTokens: Set<String> = []
        var issued = 0
    }
    private let state = Mutex(State())

    // MARK: Knobs and counts

    /// How long access tokens issued from now on live.
    func setAccessTokenLifetime(_ lifetime: Duration) {
        state.withLock { $0.accessTokenLifetime = lifetime }
    }

    /// The next RefreshToken fails with UNAUTHENTICATED, as for a used or revoked refresh token.
    func refuseNextRefresh() {
        state.withLock { $0.refuseNextRefresh = true }
    }

    /// Every access token issued so far is refused from now on (revoked, say); refresh tokens still work.
    func refuseIssuedAccessTokens() {
        state.withLock { state in state.refusedAccessTokens.formUnion(state.grants.map(\.accessToken)) }
    }

    /// Every access token, even ones issued later, is refused.
    func refuseEveryToken() {
        state.withLock { $0.refuseEveryToken = true }
    }

    /// The Login requests received, in order.
    var logins: [Medexpress_V1_LoginRequest] { state.withLock { $0.logins } }
    /// The address each Login came from.
    var loginPeers: [String] { state.withLock { $0.loginPeers } }
    /// How many RefreshToken calls arrived.
    var refreshes: Int { state.withLock { $0.refreshes } }
    /// The Logout requests that ended a session.
    var logouts: [Medexpress_V1_LogoutRequest] { state.withLock { $0.logouts } }
    /// The access tokens of the live sessions.
    var liveAccessTokens: [String] { state.withLock { $0.grants.map(\.accessToken) } }

    // MARK: Checking tokens

    /// The access token the call carries, if it is live, unexpired and on its certificate's
    /// connection; else UNAUTHENTICATED.
    func authenticate(_ context: ServerContext) throws(Status) -> String {
        guard let header = context.requestMetadata["authorization"], header.hasPrefix("Bearer ") else {
            throw Status(.unauthenticated, "no bearer token")
        }
        let token = String(header.dropFirst("Bearer ".count))
        let thumbprint = context.peer.certificate?.sha256Thumbprint
        let valid = state.withLock { state in
            guard !state.refuseEveryToken, !state.refusedAccessTokens.contains(token),
                  let grant = state.grants.first(where: { $0.accessToken == token }) else { return false }
            return grant.accessExpiresAt > .now && grant.thumbprint.map { $0 == thumbprint } ?? true
        }
        guard valid else { throw Status(.unauthenticated, "the access token is not valid") }
        return token
    }

    /// As the real server's authorization interceptor does on public methods too: a token that
    /// is present must be valid.
    private func refuseInvalidToken(_ context: ServerContext) throws(Status) {
        if context.requestMetadata["authorization"] != nil { _ = try authenticate(context) }
    }

    // MARK: AuthService

    func login(_ request: Medexpress_V1_LoginRequest, context: ServerContext) async throws -> Medexpress_V1_Session {
        state.withLock { state in
            state.logins.append(request)
            state.loginPeers.append(context.peer.address)
        }
        try refuseInvalidToken(context)
        guard request.password == Self.password else { throw Status(.unauthenticated, "wrong email or password") }
        switch request.principal {
        case .email(let email):
            return issue(subject: "cus_\(email)", thumbprint: nil)
        case .username(let username):
            guard request.totpCode.count == 6, request.totpCode.allSatisfy(\.isNumber) else {
                throw Status(.unauthenticated, "a current 6-digit code is needed")
            }
            guard let thumbprint = context.peer.certificate?.sha256Thumbprint else {
                throw Status(.unauthenticated, "staff sign in over a connection with their client certificate")
            }
            return issue(subject: "stf_\(username)", thumbprint: thumbprint)
        case nil:
            throw Status(.invalidArgument, "an email or a username is needed")
        }
    }

    func refreshToken(_ request: Medexpress_V1_RefreshTokenRequest, context: ServerContext) async throws
        -> Medexpress_V1_Session {
        state.withLock { $0.refreshes += 1 }
        try refuseInvalidToken(context)
        let thumbprint = context.peer.certificate?.sha256Thumbprint
        let grant = state.withLock { state -> Grant? in
            guard !state.refuseNextRefresh else {
                state.refuseNextRefresh = false
                return nil
            }
            guard let index = state.grants.firstIndex(where: { $0.refreshToken == request.refreshToken }),
                  state.grants[index].thumbprint.map({ $0 == thumbprint }) ?? true else { return nil }
            return state.grants.remove(at: index)
        }
        guard let grant else { throw Status(.unauthenticated, "the refresh token is not valid") }
        return issue(subject: grant.subject, thumbprint: grant.thumbprint)
    }

    func logout(_ request: Medexpress_V1_LogoutRequest, context: ServerContext) async throws -> Medexpress_V1_LogoutResponse {
        let token = try authenticate(context)
        let ended = state.withLock { state in
            let subject = state.grants.first { $0.accessToken == token }?.subject
            let before = state.grants.count
            state.grants.removeAll { request.allSessions ? $0.subject == subject : $0.accessToken == token }
            state.logouts.append(request)
            return before - state.grants.count
        }
        var response = Medexpress_V1_LogoutResponse()
        response.sessionsEnded = Int32(ended)
        return response
    }

    private func issue(subject: String, thumbprint: String?) -> Medexpress_V1_Session {
        let (serial, lifetime) = state.withLock { state in
            state.issued += 1
            return (state.issued, state.accessTokenLifetime)
        }
        var session = Medexpress_V1_Session()
        session.accessToken = "access-\(serial)"
        session.refreshToken = "refresh-\(serial)"
        session.accessTokenExpiresAt = Self.timestamp(Date() + Double(lifetime.components.seconds)
                                                      + Double(lifetime.components.attoseconds) / 1e18)
        session.subjectId = subject
        session.role = thumbprint == nil ? .customer : .admin
        session.certificateThumbprint = thumbprint ?? ""
        let grant = Grant(subject: subject, accessToken: session.accessToken, refreshToken: session.refreshToken,
                          accessExpiresAt: .now + lifetime, thumbprint: thumbprint)
        state.withLock { $0.grants.append(grant) }
        return session
    }

    private static func timestamp(_ date: Date) -> Google_Protobuf_Timestamp {
        let seconds = date.timeIntervalSince1970
        var timestamp = Google_Protobuf_Timestamp()
        timestamp.seconds = Int64(seconds.rounded(.down))
        timestamp.nanos = Int32((seconds - seconds.rounded(.down)) * 1e9)
        return timestamp
    }

    // The credentials never call the rest.

    func registerCustomer(_ request: Medexpress_V1_RegisterCustomerRequest, context: ServerContext) async throws
        -> Medexpress_V1_RegisterCustomerResponse { throw Status(.unimplemented, "not in the fake") }
    func beginMfaEnrollment(_ request: Medexpress_V1_BeginMfaEnrollmentRequest, context: ServerContext) async throws
        -> Medexpress_V1_BeginMfaEnrollmentResponse { throw Status(.unimplemented, "not in the fake") }
    func confirmMfaEnrollment(_ request: Medexpress_V1_ConfirmMfaEnrollmentRequest, context: ServerContext) async throws
        -> Medexpress_V1_ConfirmMfaEnrollmentResponse { throw Status(.unimplemented, "not in the fake") }
    func createStaff(_ request: Medexpress_V1_CreateStaffRequest, context: ServerContext) async throws
        -> Medexpress_V1_CreateStaffResponse { throw Status(.unimplemented, "not in the fake") }
    func disableStaff(_ request: Medexpress_V1_DisableStaffRequest, context: ServerContext) async throws
        -> Medexpress_V1_StaffMember { throw Status(.unimplemented, "not in the fake") }
    func verifyCustomerIdentity(_ request: Medexpress_V1_VerifyCustomerIdentityRequest, context: ServerContext) async throws
        -> Medexpress_V1_VerifyCustomerIdentityResponse { throw Status(.unimplemented, "not in the fake") }
}

/// A service needing a session token from `FakeAuthService`: answers with the token it saw and
/// counts the calls it accepted and refused.
struct AccountService: RPCService {
    static let name = "clientkit.test.AccountService"

    enum Method {
        /// Waits as many milliseconds as the request says (none when empty), then answers with the
        /// caller's access token; UNAUTHENTICATED without a valid one.
        static let echoToken = RPCMethod<Blob, Blob>(MethodDescriptor(service: name, method: "EchoToken", type: .unary))
        /// Answers with the `authorization` header, or `none`, for any caller; needs a client certificate.
        static let whoami = RPCMethod<Blob, Blob>(MethodDescriptor(service: name, method: "Whoami", type: .unary))
    }

    let auth: FakeAuthService
    let probe: Probe

    var methods: [ServerMethod] {
        let auth = self.auth
        let probe = self.probe
        return [
            .unary(Method.echoToken) { request, context in
                try await Task.sleep(for: .milliseconds(Int(request.text) ?? 0))
                do {
                    let token = try auth.authenticate(context)
                    probe.increment("account.accepted")
                    return Blob(token)
                } catch {
                    probe.increment("account.refused")
                    throw error
                }
            },
            .unary(Method.whoami) { _, context in
                guard let certificate = context.peer.certificate else {
                    throw Status(.unauthenticated, "a client certificate is needed")
                }
                probe.record("whoami.thumbprint", certificate.sha256Thumbprint)
                probe.record("whoami.authorization", context.requestMetadata["authorization"] ?? "none")
                return Blob(certificate.commonName ?? "")
            },
        ]
    }
}

extension TestServer {
    /// A server with `auth` and an `AccountService` checking its tokens, beside the probe service.
    static func start(auth: FakeAuthService, tls: TLSConfiguration? = nil) async throws -> TestServer {
        let probe = Probe()
        return try await start(tls: tls, probe: probe, services: [auth, AccountService(auth: auth, probe: probe)])
    }
}

/// Makes an `AccountService` call on `channel` and checks the access token the server saw.
func assertCallCarriesToken(_ expected: String, on channel: GRPCChannel, _ message: String = "",
                            file: StaticString = #filePath, line: UInt = #line) async throws {
    let seen = try await channel.unary(AccountService.Method.echoToken, Blob()).message.text
    XCTAssertEqual(seen, expected, message, file: file, line: line)
}
