import Generated
import MedExpress
import RPCCore
import Store
import Trust
import XCTest

/// Adding staff: the rules of the directory, and what it keeps sealed.
final class StaffDirectoryTests: XCTestCase {
    private func member(_ username: String, role: Medexpress_V1_Role = .admin,
                        registration: Medexpress_V1_ProfessionalRegistration? = nil,
                        address: Medexpress_V1_PostalAddress? = nil) -> NewStaffMember {
        NewStaffMember(username: username, role: role, givenName: "Grace", familyName: "Hopper", email: "\(username)@medexpress.example",
                       registration: registration, address: address, password: "a long staff password")
    }

    private func certificate() -> StaffDirectory.IssuedCertificate {
        .init(sha256Thumbprint: Hex.encode(SecureRandom.bytes(32)), serialNumber: Hex.encode(SecureRandom.bytes(16)))
    }

    func testPrescribersNeedARegistrationAndUsernamesAreUnique() async throws {
        try await TestDatabases.each { store, name in
            let vault = try await Vault.open(master: TestDeployment.master, store: store)
            let blocking = try await BlockingPool.start(name: "staff-test", threadCount: 1, queueCapacity: 8)
            let directory = StaffDirectory(store: store, vault: vault, blocking: blocking, passwords: TestDeployment.cheapPasswords)
            let added = try await directory.add(member("grace"), certificate: certificate(), actor: "test", method: "test")
            XCTAssertTrue(added.staffID.hasPrefix("stf_"), name)
            XCTAssertTrue(added.provisioningURI.hasPrefix("otpauth://totp/MedExpress:grace?secret="), name)

            func refusal(_ member: NewStaffMember) async -> Status? {
                do {
                    _ = try await directory.add(member, certificate: certificate(), actor: "test", method: "test")
                    return nil
                } catch let status as Status {
                    return status
                } catch {
                    XCTFail("\(error)")
                    return nil
                }
            }
            let taken = await refusal(member("grace"))
            XCTAssertEqual(taken?.code, .alreadyExists, name)
            let unregistered = await refusal(member("doctor", role: .prescriber))
            XCTAssertEqual(unregistered?.code, .invalidArgument, name)
            XCTAssertTrue(unregistered?.message.hasPrefix("registration:") ?? false, name)
            let customerRole = await refusal(member("notstaff", role: .customer))
            XCTAssertEqual(customerRole?.code, .invalidArgument, name)
            let badName = await refusal(member("Bad Name"))
            XCTAssertEqual(badName?.code, .invalidArgument, name)
            let gmc = Medexpress_V1_ProfessionalRegistration.with { $0.body = .gmc; $0.registrationNumber = "7654321"; $0.profession = "GP" }
            let homeless = await refusal(member("doctor", role: .prescriber, registration: gmc))
            XCTAssertTrue(homeless?.message.hasPrefix("address:") ?? false, "\(name): a prescriber needs an address")
            let surgery = Medexpress_V1_PostalAddress.with { $0.lines = ["1 Surgery Row"]; $0.town = "Bath"; $0.postcode = "BA1 1AA" }
            _ = try await directory.add(member("doctor", role: .prescriber, registration: gmc, address: surgery),
                                        certificate: certificate(), actor: "test", method: "test")

            // The TOTP secret and the names are sealed; the secret in the URI is nowhere in the row.
            let secret = try XCTUnwrap(added.provisioningURI.split(separator: "=").dropFirst().first?.split(separator: "&").first)
            let secretBytes = try XCTUnwrap(Base32.decode(String(secret)))
            let row = try await store.read { tx in
                try tx.query("SELECT totp_secret, given_name, family_name, email FROM staff WHERE username = 'grace'").first!
            }
            for column in row.columnNames {
                let bytes = try row.bytes(column)
                XCTAssertNil(bytes.firstRange(of: secretBytes), "\(name): the TOTP secret is in clear in \(column)")
                XCTAssertNil(bytes.firstRange(of: Array("Hopper".utf8)), "\(name): a name is in clear in \(column)")
            }
            let audit = try await AuditLog.verify(store)
            XCTAssertEqual(audit, .intact(entries: 5), "\(name): key, two staff and their two certificates")
            await blocking.close()
        }
    }
}
