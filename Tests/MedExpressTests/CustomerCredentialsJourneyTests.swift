import ClientKit
import Generated
import MedExpress
import RPCCore
import XCTest

/// ClientKit's customer credentials against the real AuthService: they sign in on first use,
/// their token is accepted, and signing out ends the session on the server.
final class CustomerCredentialsJourneyTests: XCTestCase {
    func testCustomerCredentialsSignInAndOutAgainstTheServer() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            _ = try await deployment.auth.registerCustomer(TestDeployment.registration("kit@example.org"))
            let credentials = CustomerSessionCredentials(email: "kit@example.org", password: "correct horse battery",
                                                         signInChannel: deployment.channel)
            // A protected method the next steps will serve; the credentials attach the token to it.
            let protected = MethodDescriptor(service: "medexpress.v1.ConsultationService", method: "StartConsultation", type: .unary)
            let metadata = try await credentials.metadata(for: protected)
            let token = try XCTUnwrap(metadata["authorization"], name)
            XCTAssertTrue(token.hasPrefix("Bearer "), name)
            XCTAssertFalse(credentials.description.contains(String(token.dropFirst(7))), "\(name): the token is printed")

            let sessions = try await store.read { tx in
                try tx.query("SELECT COUNT(*) AS n FROM sessions WHERE revoked_at_us IS NULL").first!.int64("n")
            }
            XCTAssertEqual(sessions, 1, "\(name): one sign-in for the credentials")
            try await credentials.signOut()
            let open = try await store.read { tx in
                try tx.query("SELECT COUNT(*) AS n FROM sessions WHERE revoked_at_us IS NULL").first!.int64("n")
            }
            XCTAssertEqual(open, 0, "\(name): sign-out left the session open")
            let afterSignOut = await {
                do {
                    _ = try await deployment.auth.logout(Medexpress_V1_LogoutRequest(), metadata: metadata)
                    return Status.Code.ok
                } catch let status as Status {
                    return status.code
                } catch {
                    return .unknown
                }
            }()
            XCTAssertEqual(afterSignOut, .unauthenticated, name)
            await deployment.stop()
        }
    }
}
