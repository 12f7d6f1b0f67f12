@testable import ClientKit
import Foundation
import XCTest

/// When a session's access token is renewed: a margin before it expires, never for clocks that disagree.
final class SessionTokensTests: XCTestCase {
    private func session(expiringIn seconds: Double?) -> Medexpress_V1_Session {
        var session = Medexpress_V1_Session()
        session.accessToken = "access"
        session.refreshToken = "refresh"
        if let seconds {
            var timestamp = Google_Protobuf_Timestamp()
            timestamp.seconds = Int64((Date().timeIntervalSince1970 + seconds).rounded(.down))
            session.accessTokenExpiresAt = timestamp
        }
        return session
    }

    func testTheMarginIsATenthOfTheLifetimeAndAtMostThirtySeconds() {
        XCTAssertEqual(SessionTokens.renewalMargin(forLifetime: .seconds(2)), .milliseconds(200))
        XCTAssertEqual(SessionTokens.renewalMargin(forLifetime: .seconds(300)), .seconds(30))
        XCTAssertEqual(SessionTokens.renewalMargin(forLifetime: .seconds(900)), .seconds(30))
    }

    func testAFifteenMinuteTokenIsDueThirtySecondsBeforeItExpires() throws {
        let now = ContinuousClock.now
        let tokens = try SessionTokens(session(expiringIn: 900), receivedAt: now)
        XCTAssertFalse(tokens.isDue(at: now + .seconds(860)))
        XCTAssertTrue(tokens.isDue(at: now + .seconds(871)))
    }

    func testATokenWithoutExpiryOrExpiredOnArrivalIsUsedUntilRejected() throws {
        let later = ContinuousClock.now + .seconds(86_400)
        XCTAssertFalse(try SessionTokens(session(expiringIn: nil)).isDue(at: later))
        XCTAssertFalse(try SessionTokens(session(expiringIn: -60)).isDue(at: later),
                       "a server clock behind ours must not make every call renew")
    }

    func testASessionWithoutTokensIsRefused() {
        var empty = session(expiringIn: 60)
        empty.refreshToken = ""
        XCTAssertThrowsError(try SessionTokens(empty)) { XCTAssertEqual(($0 as? Status)?.code, .internalError) }
    }
}
