import ClientKit
import XCTest

/// A customer using the app: signed in once for many calls, the session renewed before it
/// expires and after the server rejects it, signed in again when renewal is refused, signed out.
final class CustomerSessionCredentialsTests: XCTestCase {
    private let email = "ada@example.com"

    /// A server with the fake AuthService and a channel whose calls carry `credentials`.
    private func start(_ credentials: () -> CustomerSessionCredentials) async throws
        -> (server: TestServer, auth: FakeAuthService, channel: GRPCChannel, credentials: CustomerSessionCredentials) {
        let auth = FakeAuthService()
        let server = try await TestServer.start(auth: auth)
        let credentials = credentials()
        let channel = try server.channel { $0.credentials = credentials }
        return (server, auth, channel, credentials)
    }

    private func start() async throws
        -> (server: TestServer, auth: FakeAuthService, channel: GRPCChannel, credentials: CustomerSessionCredentials) {
        try await start { CustomerSessionCredentials(email: self.email, password: FakeAuthService.password) }
    }

    /// The token a call carried, checked by the server after `delayMilliseconds`.
    private static func tokenSeen(on channel: GRPCChannel, delayMilliseconds: Int = 0) async throws -> String {
        try await channel.unary(AccountService.Method.echoToken, Blob(String(delayMilliseconds))).message.text
    }

    func testTwentyCallsAtOnceSignInOnceAndAllCarryTheToken() async throws {
        let (server, auth, channel, _) = try await start()
        let seen = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<20 { group.addTask { try await Self.tokenSeen(on: channel) } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        XCTAssertEqual(auth.logins.map(\.email), [email])
        XCTAssertEqual(seen, Array(repeating: "access-1", count: 20))
        try await assertCallCarriesToken("access-1", on: channel, "later calls reuse the session")
        XCTAssertEqual(auth.logins.count, 1)
        XCTAssertEqual(auth.refreshes, 0)
        await channel.close()
        await server.stop()
    }

    func testTheTokenIsRenewedShortlyBeforeItExpiresWithoutSigningInAgain() async throws {
        let (server, auth, channel, _) = try await start()
        auth.setAccessTokenLifetime(.seconds(2))
        try await assertCallCarriesToken("access-1", on: channel)
        // Renewal is due 0.2 s (a tenth of the lifetime) before expiry: after 1.8 s.
        try await Task.sleep(for: .milliseconds(1850))
        try await assertCallCarriesToken("access-2", on: channel)
        XCTAssertEqual(auth.logins.count, 1)
        XCTAssertEqual(auth.refreshes, 1)
        XCTAssertEqual(server.probe.count("account.refused"), 0, "no call went out with the old token")
        await channel.close()
        await server.stop()
    }

    func testARejectedTokenIsRenewedOnceAndTheCallTriedOnceMore() async throws {
        let (server, auth, channel, _) = try await start()
        try await assertCallCarriesToken("access-1", on: channel)
        auth.refuseIssuedAccessTokens()
        try await assertCallCarriesToken("access-2", on: channel)
        XCTAssertEqual(auth.refreshes, 1)
        XCTAssertEqual(auth.logins.count, 1)
        XCTAssertEqual(server.probe.count("account.refused"), 1)
        await channel.close()
        await server.stop()
    }

    func testATokenRejectedAgainAfterRenewalFailsTheCallWithoutLooping() async throws {
        let (server, auth, channel, _) = try await start()
        try await assertCallCarriesToken("access-1", on: channel)
        auth.refuseEveryToken()
        let status = await failureStatus { try await Self.tokenSeen(on: channel) }
        XCTAssertEqual(status?.code, .unauthenticated)
        XCTAssertEqual(auth.refreshes, 1)
        XCTAssertEqual(auth.logins.count, 1)
        XCTAssertEqual(server.probe.count("account.refused"), 2, "the first attempt and one retry")
        await channel.close()
        await server.stop()
    }

    func testTwentyCallsRejectedTogetherShareOneRenewal() async throws {
        let (server, auth, channel, _) = try await start()
        try await assertCallCarriesToken("access-1", on: channel)
        auth.refuseIssuedAccessTokens()
        // Half the calls are refused only after the others renewed the session: their old token
        // is no longer the session's, so they retry with the new one without renewing again.
        let seen = try await withThrowingTaskGroup(of: String.self) { group in
            for call in 0..<20 {
                group.addTask { try await Self.tokenSeen(on: channel, delayMilliseconds: call.isMultiple(of: 2) ? 0 : 300) }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        XCTAssertEqual(seen, Array(repeating: "access-2", count: 20))
        XCTAssertEqual(auth.refreshes, 1)
        XCTAssertEqual(auth.logins.count, 1)
        XCTAssertEqual(server.probe.count("account.refused"), 20)
        await channel.close()
        await server.stop()
    }

    func testARefusedRefreshTokenLeadsToANewSignIn() async throws {
        let (server, auth, channel, _) = try await start()
        try await assertCallCarriesToken("access-1", on: channel)
        auth.refuseIssuedAccessTokens()
        auth.refuseNextRefresh()
        try await assertCallCarriesToken("access-2", on: channel)
        XCTAssertEqual(auth.refreshes, 1)
        XCTAssertEqual(auth.logins.count, 2)
        await channel.close()
        await server.stop()
    }

    func testSigningOutEndsTheSessionAndTheNextCallSignsInAgain() async throws {
        let (server, auth, channel, credentials) = try await start()
        try await assertCallCarriesToken("access-1", on: channel)
        try await credentials.signOut()
        XCTAssertEqual(auth.logouts.map(\.allSessions), [false])
        XCTAssertEqual(auth.liveAccessTokens, [], "the server ended the session")
        try await credentials.signOut()
        XCTAssertEqual(auth.logouts.count, 1, "signing out when signed out asks nothing of the server")

        try await assertCallCarriesToken("access-2", on: channel)
        XCTAssertEqual(auth.logins.count, 2)
        try await credentials.signOut(allSessions: true)
        XCTAssertEqual(auth.logouts.map(\.allSessions), [false, true])
        await channel.close()
        await server.stop()
    }

    func testSigningOutAfterTheTokenExpiredRenewsItToEndTheSession() async throws {
        let (server, auth, channel, credentials) = try await start()
        auth.setAccessTokenLifetime(.seconds(1))
        try await assertCallCarriesToken("access-1", on: channel)
        try await Task.sleep(for: .milliseconds(1100))
        try await credentials.signOut()
        XCTAssertEqual(auth.refreshes, 1)
        XCTAssertEqual(auth.logouts.count, 1)
        XCTAssertEqual(auth.liveAccessTokens, [], "the renewed token ended the session")

        // A refused refresh token leaves no session to end.
        try await assertCallCarriesToken("access-3", on: channel)
        try await Task.sleep(for: .milliseconds(1100))
        auth.refuseNextRefresh()
        try await credentials.signOut()
        XCTAssertEqual(auth.refreshes, 2)
        XCTAssertEqual(auth.logouts.count, 1)
        XCTAssertEqual(auth.logins.count, 2, "signing out never signs in")
        await channel.close()
        await server.stop()
    }

    func testCredentialsWithNoChannelToSignInOverSaySo() async {
        let credentials = CustomerSessionCredentials(email: email, password: FakeAuthService.password)
        let status = await failureStatus { try await credentials.metadata(for: AccountService.Method.echoToken.descriptor) }
        XCTAssertEqual(status?.code, .failedPrecondition)
        XCTAssertEqual(status?.message.contains("no channel to sign in over"), true, "\(String(describing: status))")
    }

    func testAWrongPasswordFailsTheCallAfterOneSignInAttempt() async throws {
        let (server, auth, channel, _) = try await start {
            CustomerSessionCredentials(email: self.email, password: "not the password")
        }
        let status = await failureStatus { try await Self.tokenSeen(on: channel) }
        XCTAssertEqual(status?.code, .unauthenticated)
        XCTAssertEqual(status?.message.contains("wrong email or password"), true, "\(String(describing: status))")
        XCTAssertEqual(auth.logins.count, 1, "a refused sign-in is not tried again by the same call")
        XCTAssertEqual(server.probe.count("account.refused") + server.probe.count("account.accepted"), 0)
        await channel.close()
        await server.stop()
    }

    func testTheSessionCanSignInOverAnotherChannel() async throws {
        let auth = FakeAuthService()
        let server = try await TestServer.start(auth: auth)
        let signInChannel = try server.channel()
        let credentials = CustomerSessionCredentials(email: email, password: FakeAuthService.password,
                                                     signInChannel: signInChannel)
        let channel = try server.channel { $0.credentials = credentials }
        // Each channel has a connection of its own, so a port of its own.
        _ = try await channel.unary(ProbeService.Method.echo, Blob("hello"))
        try await assertCallCarriesToken("access-1", on: channel)
        let callPeer = try XCTUnwrap(server.probe.values("echo.peer").first)
        XCTAssertEqual(auth.loginPeers.count, 1)
        XCTAssertNotEqual(auth.loginPeers.first, callPeer, "Login went over the sign-in channel")
        try await credentials.signOut()
        XCTAssertEqual(auth.logouts.count, 1)
        await channel.close()
        await signInChannel.close()
        await server.stop()
    }

    func testThePasswordAndTokensAppearInNoDescription() async throws {
        let (server, _, channel, credentials) = try await start()
        try await assertCallCarriesToken("access-1", on: channel)
        var dumped = ""
        dump(credentials, to: &dumped)
        let shown = [String(describing: credentials), String(reflecting: credentials), dumped, "\(credentials)"]
        for text in shown {
            XCTAssertFalse(text.contains(FakeAuthService.password), text)
            XCTAssertFalse(text.contains("access-1"), text)
            XCTAssertFalse(text.contains("refresh-1"), text)
            XCTAssertTrue(text.contains(email), text)
        }
        XCTAssertEqual(String(describing: credentials),
                       "CustomerSessionCredentials(email: ada@example.com, password: <redacted>, session: signed in)")
        await channel.close()
        await server.stop()
    }
}
