import ClientKit
import Synchronization
import XCTest

/// A pharmacist at work: signs in over mutual TLS with a password and a code from their
/// authenticator, keeps working while the short-lived token is renewed, types a new code only
/// when they must sign in again.
final class StaffSessionCredentialsTests: XCTestCase {
    /// An authenticator app: hands out a new code each time it is asked, after `typing` (the
    /// time a person takes to read and type it), and counts.
    final class Authenticator: Sendable {
        private let typing: Duration
        private let asked = Mutex(0)

        init(typing: Duration = .zero) { self.typing = typing }

        var timesAsked: Int { asked.withLock { $0 } }

        func code() async throws -> String {
            let count = asked.withLock { count in
                count += 1
                return count
            }
            try await Task.sleep(for: typing)
            return String(format: "%06d", count)
        }
    }

    func testTheAuthenticatorIsAskedAtEachSignInButNotAtRenewals() async throws {
        let certificates = try TestCertificates()
        let auth = FakeAuthService()
        auth.setAccessTokenLifetime(.seconds(2))
        let server = try await TestServer.start(auth: auth, tls: certificates.server(clientCertificateMode: .optional))
        let authenticator = Authenticator()
        let credentials = StaffSessionCredentials(username: "alice", password: FakeAuthService.password) {
            try await authenticator.code()
        }
        let channel = try server.channel(tls: certificates.client(serverName: "localhost", withIdentity: true)) {
            $0.credentials = credentials
        }
        try await assertCallCarriesToken("access-1", on: channel)
        XCTAssertEqual(authenticator.timesAsked, 1)

        // Renewed over the same certificate (the fake refuses any other) without a code.
        try await Task.sleep(for: .milliseconds(1850))
        try await assertCallCarriesToken("access-2", on: channel)
        XCTAssertEqual(auth.refreshes, 1)
        XCTAssertEqual(authenticator.timesAsked, 1)

        auth.refuseIssuedAccessTokens()
        auth.refuseNextRefresh()
        try await assertCallCarriesToken("access-3", on: channel)
        XCTAssertEqual(authenticator.timesAsked, 2)
        XCTAssertEqual(auth.logins.map(\.username), ["alice", "alice"])
        XCTAssertEqual(auth.logins.map(\.totpCode), ["000001", "000002"])
        await channel.close()
        await server.stop()
    }

    func testSigningOutWhileSigningInEndsThatSessionAndLeavesNoneBehind() async throws {
        let certificates = try TestCertificates()
        let auth = FakeAuthService()
        let server = try await TestServer.start(auth: auth, tls: certificates.server(clientCertificateMode: .optional))
        let authenticator = Authenticator(typing: .milliseconds(200))
        let credentials = StaffSessionCredentials(username: "alice", password: FakeAuthService.password) {
            try await authenticator.code()
        }
        let channel = try server.channel(tls: certificates.client(serverName: "localhost", withIdentity: true)) {
            $0.credentials = credentials
        }
        // The server checks this call's token only after 300 ms, when the sign-out has ended its session.
        let call = Task { try await channel.unary(AccountService.Method.echoToken, Blob("300")).message.text }
        let askedForACode = await eventually { authenticator.timesAsked == 1 }
        XCTAssertTrue(askedForACode)
        try await credentials.signOut()
        XCTAssertEqual(auth.logouts.count, 1, "the session being signed in was ended")
        XCTAssertEqual(auth.liveAccessTokens, [])
        XCTAssertTrue(String(describing: credentials).hasSuffix("session: signed out)"), "\(credentials)")

        let seen = try await call.value
        XCTAssertEqual(seen, "access-2", "the call refused with the ended session signed in anew")
        XCTAssertEqual(auth.refreshes, 0, "the ended session's refresh token was not tried")
        XCTAssertEqual(authenticator.timesAsked, 2)
        await channel.close()
        await server.stop()
    }

    func testWithoutTheirCertificateAStaffMemberCannotSignIn() async throws {
        let certificates = try TestCertificates()
        let auth = FakeAuthService()
        let server = try await TestServer.start(auth: auth, tls: certificates.server(clientCertificateMode: .optional))
        let authenticator = Authenticator()
        let credentials = StaffSessionCredentials(username: "alice", password: FakeAuthService.password) {
            try await authenticator.code()
        }
        let channel = try server.channel(tls: certificates.client(serverName: "localhost")) {
            $0.credentials = credentials
        }
        let status = await failureStatus { try await channel.unary(AccountService.Method.echoToken, Blob()) }
        XCTAssertEqual(status?.code, .unauthenticated)
        XCTAssertEqual(status?.message.contains("client certificate"), true, "\(String(describing: status))")
        XCTAssertEqual(auth.logins.count, 1)
        XCTAssertEqual(authenticator.timesAsked, 1)
        await channel.close()
        await server.stop()
    }

    func testTheCodePasswordAndTokensAppearInNoDescription() async throws {
        let certificates = try TestCertificates()
        let auth = FakeAuthService()
        let server = try await TestServer.start(auth: auth, tls: certificates.server(clientCertificateMode: .optional))
        let credentials = StaffSessionCredentials(username: "alice", password: FakeAuthService.password) { "424242" }
        let channel = try server.channel(tls: certificates.client(serverName: "localhost", withIdentity: true)) {
            $0.credentials = credentials
        }
        _ = try await channel.unary(AccountService.Method.echoToken, Blob())
        var dumped = ""
        dump(credentials, to: &dumped)
        for text in [String(describing: credentials), String(reflecting: credentials), dumped] {
            for secret in [FakeAuthService.password, "424242", "access-1", "refresh-1"] {
                XCTAssertFalse(text.contains(secret), text)
            }
        }
        XCTAssertEqual(String(describing: credentials),
                       "StaffSessionCredentials(username: alice, password: <redacted>, session: signed in)")
        await channel.close()
        await server.stop()
    }
}
