import Generated
import RPCCore
import XCTest

/// Every medexpress.v1 method declares who may call it (API.md, Conventions), and the AuthService
/// declarations are the contract's.
final class ContractAuthRuleTests: XCTestCase {
    private static let services: [ServiceDescriptor] = [Medexpress_V1_AuthService.descriptor, Medexpress_V1_AdminService.descriptor]

    func testEveryMethodDeclaresARule() {
        for service in Self.services {
            for method in service.methods {
                let rule = method.medexpress_v1_auth
                XCTAssertNotNil(rule, "\(method.path) declares no (medexpress.v1.auth) rule")
                if let rule {
                    XCTAssertTrue(rule.public != !rule.roles.isEmpty,
                                  "\(method.path) must be public or name roles, not both or neither")
                }
            }
        }
    }

    func testAuthServiceRulesMatchTheContract() {
        let staff: [Medexpress_V1_Role] = [.admin, .prescriber, .pharmacist]
        let expected: [String: Medexpress_V1_AuthRule] = [
            "RegisterCustomer": .with { $0.public = true },
            "Login": .with { $0.public = true },
            "RefreshToken": .with { $0.public = true },
            "Logout": .with { $0.roles = [.customer] + staff },
            "BeginMfaEnrollment": .with { $0.roles = staff },
            "ConfirmMfaEnrollment": .with { $0.roles = staff },
            "CreateStaff": .with { $0.roles = [.admin] },
            "DisableStaff": .with { $0.roles = [.admin] },
            "VerifyCustomerIdentity": .with { $0.roles = [.admin] },
        ]
        let methods = Medexpress_V1_AuthService.descriptor.methods
        XCTAssertEqual(Set(methods.map(\.method)), Set(expected.keys))
        for method in methods {
            XCTAssertEqual(method.medexpress_v1_auth, expected[method.method], method.path)
        }
    }
}
