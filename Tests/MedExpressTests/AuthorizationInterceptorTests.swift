import Generated
import MedExpress
import RPCCore
import Synchronization
import XCTest

/// The interceptor enforces every method's declared roles before the handler runs, for every
/// method of every medexpress.v1 service, driven by the generated descriptors.
final class AuthorizationInterceptorTests: XCTestCase {
    /// Every medexpress.v1 service the server serves.
    static let services: [ServiceDescriptor] = [Medexpress_V1_AuthService.descriptor, Medexpress_V1_AdminService.descriptor]

    /// Accepts tokens of the form `role:<raw value>`; anything else is an invalid credential.
    private struct RoleTokens: CallerResolver {
        func resolve(bearerToken: String?, peer: PeerInfo) async throws(Status) -> Caller? {
            guard let token = bearerToken else { return nil }
            guard token.hasPrefix("role:"), let raw = Int32(token.dropFirst(5)) else {
                throw Status(.unauthenticated, "unknown token")
            }
            return Caller(role: Medexpress_V1_Role(rawValue: raw), subjectID: "sub_\(raw)", sessionID: "ses", certificateThumbprint: nil)
        }
    }

    private let interceptor = AuthorizationInterceptor(resolver: RoleTokens())

    /// Runs the interceptor for `method` with `token`; the status it threw, or nil when the
    /// handler ran (`ran` says whether it did).
    private func call(_ method: MethodDescriptor, token: String?) async -> (status: Status?, ran: Bool, caller: Caller?) {
        var metadata = Metadata()
        if let token { metadata.add("authorization", "Bearer \(token)") }
        let context = ServerContext(method: method, requestMetadata: metadata, deadline: nil,
                                    peer: PeerInfo(address: "127.0.0.1:1", isSecure: true, certificate: nil), requestID: "test")
        let ran = Atomic<Bool>(false)
        do {
            try await interceptor.intercept(context: context) { ran.store(true, ordering: .relaxed) }
            return (nil, ran.load(ordering: .relaxed), context.caller)
        } catch let status as Status {
            return (status, ran.load(ordering: .relaxed), context.caller)
        } catch {
            XCTFail("unexpected error \(error)")
            return (nil, false, nil)
        }
    }

    func testEveryProtectedMethodRefusesAnonymousCallersAndEveryRoleItDoesNotDeclare() async {
        let roles = Medexpress_V1_Role.allCases.filter { $0 != .unspecified }
        for service in Self.services {
            for method in service.methods {
                guard let rule = method.medexpress_v1_auth else { return XCTFail("\(method.path) has no rule") }
                let anonymous = await call(method, token: nil)
                if rule.public {
                    XCTAssertNil(anonymous.status, method.path)
                    XCTAssertTrue(anonymous.ran, method.path)
                    continue
                }
                XCTAssertEqual(anonymous.status?.code, .unauthenticated, method.path)
                XCTAssertFalse(anonymous.ran, "\(method.path) ran its handler for an anonymous caller")
                for role in roles {
                    let outcome = await call(method, token: "role:\(role.rawValue)")
                    if rule.roles.contains(role) {
                        XCTAssertNil(outcome.status, "\(method.path) refused \(role)")
                        XCTAssertTrue(outcome.ran, "\(method.path) did not run for \(role)")
                        XCTAssertEqual(outcome.caller?.role, role)
                    } else {
                        XCTAssertEqual(outcome.status?.code, .permissionDenied, "\(method.path) for \(role)")
                        XCTAssertFalse(outcome.ran, "\(method.path) ran its handler for \(role)")
                    }
                }
            }
        }
    }

    func testAnInvalidTokenIsRefusedEvenOnAPublicMethod() async {
        let login = Medexpress_V1_AuthService.Method.login.descriptor
        let outcome = await call(login, token: "forged")
        XCTAssertEqual(outcome.status?.code, .unauthenticated)
        XCTAssertFalse(outcome.ran)
    }

    func testAMalformedAuthorizationHeaderIsRefused() async {
        let logout = Medexpress_V1_AuthService.Method.logout.descriptor
        var metadata = Metadata()
        metadata.add("authorization", "Basic dXNlcjpwYXNz")
        let context = ServerContext(method: logout, requestMetadata: metadata, deadline: nil,
                                    peer: PeerInfo(address: "127.0.0.1:1", isSecure: true, certificate: nil), requestID: "test")
        do {
            try await interceptor.intercept(context: context) { XCTFail("the handler ran") }
            XCTFail("a Basic credential was accepted")
        } catch let status as Status {
            XCTAssertEqual(status.code, .unauthenticated)
            XCTAssertTrue(status.message.contains("Bearer"), status.message)
        } catch {
            XCTFail("\(error)")
        }
    }

    func testAMedExpressMethodWithoutARuleIsRefusedAndStandardServicesStayOpen() async {
        let undeclared = MethodDescriptor(service: "medexpress.v1.Undeclared", method: "Anything", type: .unary)
        let refused = await call(undeclared, token: "role:2")
        XCTAssertEqual(refused.status?.code, .permissionDenied)
        XCTAssertFalse(refused.ran)

        let health = MethodDescriptor(service: "grpc.health.v1.Health", method: "Check", type: .unary)
        let open = await call(health, token: nil)
        XCTAssertNil(open.status)
        XCTAssertTrue(open.ran)
    }
}
