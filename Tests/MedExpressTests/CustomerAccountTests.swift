import Foundation
import Generated
import MedExpress
import RPCCore
import Store
import XCTest

/// A customer's first steps (user journeys: register, sign in, stay signed in, sign out), over
/// gRPC against the server as `serve` assembles it, on SQLite and on PostgreSQL.
final class CustomerAccountTests: XCTestCase {
    private func status(_ body: () async throws -> Void) async -> Status? {
        do {
            try await body()
            return nil
        } catch let status as Status {
            return status
        } catch {
            XCTFail("not a status: \(error)")
            return nil
        }
    }

    func testACustomerRegistersSignsInAndSignsOut() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store, realPasswordCost: true)
            let registered = try await deployment.auth.registerCustomer(TestDeployment.registration("Ada@Example.org"))
            XCTAssertTrue(registered.customerId.hasPrefix("cus_"), name)

            // Any case of the address signs in: emails are compared normalised.
            let session = try await deployment.auth.login(TestDeployment.login("ada@example.org"))
            XCTAssertEqual(session.subjectId, registered.customerId, name)
            XCTAssertEqual(session.role, .customer, name)
            XCTAssertEqual(session.accessToken.count, 43, "\(name): 256 random bits in base64url")
            XCTAssertNotEqual(session.accessToken, session.refreshToken, name)
            XCTAssertGreaterThan(session.accessTokenExpiresAt?.seconds ?? 0, Int64(Date().timeIntervalSince1970), name)

            let ended = try await deployment.auth.logout(Medexpress_V1_LogoutRequest(),
                                                         metadata: TestDeployment.bearer(session.accessToken))
            XCTAssertEqual(ended.sessionsEnded, 1, name)
            let afterLogout = await status {
                _ = try await deployment.auth.logout(Medexpress_V1_LogoutRequest(), metadata: TestDeployment.bearer(session.accessToken))
            }
            XCTAssertEqual(afterLogout?.code, .unauthenticated, "\(name): a revoked token still worked")
            let refreshAfterLogout = await status {
                _ = try await deployment.auth.refreshToken(.with { $0.refreshToken = session.refreshToken })
            }
            XCTAssertEqual(refreshAfterLogout?.code, .unauthenticated, "\(name): a revoked session refreshed")

            let audit = try await AuditLog.verify(store)
            XCTAssertEqual(audit, .intact(entries: 4), "\(name): key created, registered, signed in, signed out")
            await deployment.stop()
        }
    }

    func testSignOutWithoutATokenIsUnauthenticated() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            let anonymous = await status { _ = try await deployment.auth.logout(Medexpress_V1_LogoutRequest()) }
            XCTAssertEqual(anonymous?.code, .unauthenticated, name)
            let forged = await status {
                _ = try await deployment.auth.logout(Medexpress_V1_LogoutRequest(), metadata: TestDeployment.bearer("forged-token"))
            }
            XCTAssertEqual(forged?.code, .unauthenticated, name)
            await deployment.stop()
        }
    }

    func testRegistrationIsIdempotentPerRequestID() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            let request = TestDeployment.registration("grace@example.org", requestID: "signup-1")
            let first = try await deployment.auth.registerCustomer(request)
            let retry = try await deployment.auth.registerCustomer(request)
            XCTAssertEqual(retry.customerId, first.customerId, "\(name): a retry made a second account")
            let reused = await status {
                _ = try await deployment.auth.registerCustomer(TestDeployment.registration("other@example.org", requestID: "signup-1"))
            }
            XCTAssertEqual(reused?.code, .alreadyExists, name)
            let count = try await store.read { tx in try tx.query("SELECT COUNT(*) AS n FROM customers").first!.int64("n") }
            XCTAssertEqual(count, 1, name)
            await deployment.stop()
        }
    }

    func testRegistrationChecksEveryFieldAndNamesTheBadOne() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            var young = TestDeployment.registration("young@example.org")
            let today = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date())
            young.dateOfBirth = .with { $0.year = Int32(today.year! - 18); $0.month = 12; $0.day = 31 }
            if today.month! == 12 && today.day! == 31 { young.dateOfBirth?.year += 1 }
            let cases: [(Medexpress_V1_RegisterCustomerRequest, String)] = [
                (TestDeployment.registration("not-an-email"), "email"),
                (TestDeployment.registration("short@example.org", password: "too short"), "password"),
                (young, "date_of_birth"),
                (TestDeployment.registration("feb@example.org", born: (1990, 2, 30)), "date_of_birth"),
                ({ var r = TestDeployment.registration("phone@example.org"); r.phone = "07700 900123"; return r }(), "phone"),
                ({ var r = TestDeployment.registration("name@example.org"); r.givenName = "  "; return r }(), "given_name"),
                ({ var r = TestDeployment.registration("addr@example.org"); r.address = nil; return r }(), "address.lines"),
            ]
            for (request, field) in cases {
                let refused = await status { _ = try await deployment.auth.registerCustomer(request) }
                XCTAssertEqual(refused?.code, .invalidArgument, "\(name): \(field)")
                XCTAssertTrue(refused?.message.hasPrefix(field + ":") ?? false, "\(name): \(refused?.message ?? "")")
            }
            let missingKey = await status {
                _ = try await deployment.auth.registerCustomer(TestDeployment.registration("key@example.org", requestID: ""))
            }
            XCTAssertEqual(missingKey?.code, .invalidArgument, name)
            let count = try await store.read { tx in try tx.query("SELECT COUNT(*) AS n FROM customers").first!.int64("n") }
            XCTAssertEqual(count, 0, name)
            await deployment.stop()
        }
    }

    func testAnEmailRegistersOnce() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            _ = try await deployment.auth.registerCustomer(TestDeployment.registration("twice@example.org"))
            let again = await status {
                _ = try await deployment.auth.registerCustomer(TestDeployment.registration(" TWICE@example.org "))
            }
            XCTAssertEqual(again?.code, .alreadyExists, name)
            await deployment.stop()
        }
    }

    func testRepeatedWrongPasswordsLockTheAccountWithARetryHint() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            _ = try await deployment.auth.registerCustomer(TestDeployment.registration("lock@example.org"))
            for attempt in 1...6 {
                let wrong = await status { _ = try await deployment.auth.login(TestDeployment.login("lock@example.org", password: "wrong password \(attempt)")) }
                XCTAssertEqual(wrong?.code, .unauthenticated, "\(name): attempt \(attempt)")
            }
            // The sixth failure locked the account: even the right password waits now.
            let locked = await status { _ = try await deployment.auth.login(TestDeployment.login("lock@example.org")) }
            XCTAssertEqual(locked?.code, .resourceExhausted, name)
            XCTAssertTrue(locked?.message.contains("try again in") ?? false, locked?.message ?? "")
            // An unknown email is refused exactly like a wrong password.
            let unknown = await status { _ = try await deployment.auth.login(TestDeployment.login("nobody@example.org")) }
            XCTAssertEqual(unknown?.code, .unauthenticated, name)
            XCTAssertEqual(unknown?.message, "the email or password is wrong", name)
            let failures = try await store.read { tx in
                try tx.query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'login.failed'").first!.int64("n")
            }
            XCTAssertEqual(failures, 7, "\(name): every failed sign-in is audited")
            await deployment.stop()
        }
    }

    func testSignInsFromOneAddressAreRateLimitedEvenWhenTheySucceed() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            _ = try await deployment.auth.registerCustomer(TestDeployment.registration("busy@example.org"))
            for attempt in 1...30 {
                do {
                    _ = try await deployment.auth.login(TestDeployment.login("busy@example.org"))
                } catch {
                    XCTFail("\(name): sign-in \(attempt) of 30 was refused: \(error)")
                }
            }
            let limited = await status { _ = try await deployment.auth.login(TestDeployment.login("busy@example.org")) }
            XCTAssertEqual(limited?.code, .resourceExhausted, name)
            XCTAssertTrue(limited?.message.contains("try again in") ?? false, limited?.message ?? "")
            await deployment.stop()
        }
    }

    func testRefreshRotatesBothTokensAndAUsedRefreshTokenIsRefused() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            _ = try await deployment.auth.registerCustomer(TestDeployment.registration("refresh@example.org"))
            let first = try await deployment.auth.login(TestDeployment.login("refresh@example.org"))
            let second = try await deployment.auth.refreshToken(.with { $0.refreshToken = first.refreshToken })
            XCTAssertNotEqual(second.accessToken, first.accessToken, name)
            XCTAssertNotEqual(second.refreshToken, first.refreshToken, name)
            let replay = await status { _ = try await deployment.auth.refreshToken(.with { $0.refreshToken = first.refreshToken }) }
            XCTAssertEqual(replay?.code, .unauthenticated, "\(name): a refresh token worked twice")
            let oldAccess = await status {
                _ = try await deployment.auth.logout(Medexpress_V1_LogoutRequest(), metadata: TestDeployment.bearer(first.accessToken))
            }
            XCTAssertEqual(oldAccess?.code, .unauthenticated, "\(name): the replaced access token still worked")
            let ended = try await deployment.auth.logout(.with { $0.allSessions = true }, metadata: TestDeployment.bearer(second.accessToken))
            XCTAssertEqual(ended.sessionsEnded, 1, name)
            await deployment.stop()
        }
    }

    func testAnExpiredAccessTokenIsRefused() async throws {
        try await TestDatabases.each { store, name in
            var policy = SessionPolicy()
            policy.customerAccessSeconds = 1
            let deployment = try await TestDeployment.start(on: store, policy: policy)
            _ = try await deployment.auth.registerCustomer(TestDeployment.registration("expiry@example.org"))
            let session = try await deployment.auth.login(TestDeployment.login("expiry@example.org"))
            try await Task.sleep(for: .milliseconds(1200))
            let expired = await status {
                _ = try await deployment.auth.logout(Medexpress_V1_LogoutRequest(), metadata: TestDeployment.bearer(session.accessToken))
            }
            XCTAssertEqual(expired?.code, .unauthenticated, name)
            let renewed = try await deployment.auth.refreshToken(.with { $0.refreshToken = session.refreshToken })
            _ = try await deployment.auth.logout(Medexpress_V1_LogoutRequest(), metadata: TestDeployment.bearer(renewed.accessToken))
            await deployment.stop()
        }
    }

    /// Issue 3's proof: personal data written through the API is not in the database in clear.
    func testPersonalDataIsNotInTheDatabaseInClear() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            var request = TestDeployment.registration("zebedee.quartz@example.org")
            request.givenName = "Zebedee"
            request.familyName = "Quartzfeather"
            request.phone = "+447700987654"
            request.address = .with { $0.lines = ["99 Xylophone Mews"]; $0.town = "Kirkcudbright"; $0.postcode = "DG6 4XX" }
            let registered = try await deployment.auth.registerCustomer(request)
            let secrets = ["zebedee", "Zebedee", "Quartzfeather", "+447700987654", "Xylophone", "Kirkcudbright", "DG6 4XX"]
            let rows = try await store.read { tx in
                try tx.query("SELECT email, given_name, family_name, date_of_birth, phone, address, email_index FROM customers")
            }
            for row in rows {
                for column in row.columnNames {
                    let bytes = try row.bytes(column)
                    for secret in secrets {
                        XCTAssertNil(bytes.firstRange(of: Array(secret.utf8)), "\(name): \(secret) in clear in \(column)")
                    }
                }
            }
            if let sqlite = store as? SQLiteEngine {
                let file = [UInt8](try Data(contentsOf: URL(fileURLWithPath: sqlite.path)))
                    + [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: sqlite.path + "-wal"))) ?? Data())
                for secret in secrets {
                    XCTAssertNil(file.firstRange(of: Array(secret.utf8)), "\(secret) in clear in the SQLite files")
                }
                XCTAssertNotNil(file.firstRange(of: Array(registered.customerId.utf8)), "the search would have found plain text")
            }
            await deployment.stop()
        }
    }
}
