import ClientKit
import Synchronization
import XCTest

/// Call credentials: a token on every call, refreshed once when the server rejects it.
final class CredentialsTests: XCTestCase {
    /// Hands out `stale` first and `good` (or `still-bad`) after a forced refresh; counts requests.
    final class TokenIssuer: Sendable {
        let refreshed: String
        let requests = Mutex<[Bool]>([])

        init(refreshed: String) { self.refreshed = refreshed }

        func token(forceRefresh: Bool) -> String {
            requests.withLock { $0.append(forceRefresh) }
            return forceRefresh ? refreshed : "stale"
        }
    }

    func testAnUnauthenticatedUnaryCallRefreshesTheTokenOnceAndSucceeds() async throws {
        let server = try await TestServer.start()
        let issuer = TokenIssuer(refreshed: "good")
        let channel = try server.channel {
            $0.credentials = BearerTokenCredentials { issuer.token(forceRefresh: $0) }
        }
        let response = try await channel.unary(ProbeService.Method.guarded, Blob())
        XCTAssertEqual(response.message.text, "welcome")
        XCTAssertEqual(server.probe.values("guarded.authorization"), ["Bearer stale", "Bearer good"])
        XCTAssertEqual(issuer.requests.withLock { $0 }, [false, true])
        _ = try await channel.unary(ProbeService.Method.guarded, Blob())
        XCTAssertEqual(server.probe.count("guarded"), 3, "the refreshed token is kept for later calls")
        await channel.close()
        await server.stop()
    }

    func testARefreshThatDoesNotHelpEndsTheCallAfterOneRetry() async throws {
        let server = try await TestServer.start()
        let issuer = TokenIssuer(refreshed: "still-bad")
        let channel = try server.channel {
            $0.credentials = BearerTokenCredentials { issuer.token(forceRefresh: $0) }
        }
        let status = await failureStatus { try await channel.unary(ProbeService.Method.guarded, Blob()) }
        XCTAssertEqual(status?.code, .unauthenticated)
        XCTAssertEqual(server.probe.count("guarded"), 2)
        await channel.close()
        await server.stop()
    }
}
