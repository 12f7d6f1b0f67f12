import MedExpress
import RPCCore
import Store
import XCTest

/// Store failures leave a handler as statuses a client can act on, never UNKNOWN.
final class StoreErrorInterceptorTests: XCTestCase {
    private func status(for error: StoreError) async -> Status? {
        let context = ServerContext(method: MethodDescriptor(service: "medexpress.v1.Any", method: "Thing", type: .unary),
                                    requestMetadata: Metadata(), deadline: nil,
                                    peer: PeerInfo(address: "127.0.0.1:1", isSecure: false, certificate: nil), requestID: "t")
        do {
            try await StoreErrorInterceptor().intercept(context: context) { throw error }
            return nil
        } catch {
            return error as? Status
        }
    }

    func testEachStoreFailureBecomesAStatusAClientCanActOn() async {
        let overloaded = await status(for: .overloaded("1024 waiting"))
        XCTAssertEqual(overloaded?.code, .resourceExhausted)
        let unavailable = await status(for: .unavailable("connection refused"))
        XCTAssertEqual(unavailable?.code, .unavailable)
        let conflict = await status(for: .conflict(attempts: 5, message: "40001"))
        XCTAssertEqual(conflict?.code, .aborted)
        let race = await status(for: .uniqueViolation(constraint: "login_throttles_pkey", message: "duplicate"))
        XCTAssertEqual(race?.code, .aborted)
        let bug = await status(for: .programmingError("syntax error near SELEC"))
        XCTAssertEqual(bug?.code, .internalError)
        XCTAssertFalse(bug?.message.contains("SELEC") ?? true, "engine details stay in the server")
    }
}
