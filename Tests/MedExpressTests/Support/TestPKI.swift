import ClientKit
import Foundation
import Generated
import MedExpress
import RPCCore
import Trust

/// A throw-away CA, a server certificate for 127.0.0.1, and client certificates for staff, in a
/// temporary directory.
final class TestPKI: Sendable {
    let directory: String
    let authority: CertificateAuthority
    let caFile: String
    let serverTLS: TLSConfiguration

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("medexpress-pki-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        authority = try CertificateAuthority.create(commonName: "MedExpress test CA", validityDays: 2)
        caFile = directory + "/ca.pem"
        try CertificateAuthority.writePEM(authority.certificatePEM, to: caFile, mode: 0o644)
        let server = try authority.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"],
                                         usage: .server, validityDays: 2)
        try CertificateAuthority.writePEM(server.certificatePEM, to: directory + "/server.pem", mode: 0o644)
        try CertificateAuthority.writePEM(server.privateKeyPEM, to: directory + "/server.key", mode: 0o600)
        serverTLS = .server(certificateChainFile: directory + "/server.pem", privateKeyFile: directory + "/server.key",
                            trustRootsFile: caFile, clientCertificateMode: .optional)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// A client trusting the CA, presenting `identity` (certificate and key files) when given.
    func clientTLS(identity: (certificateFile: String, keyFile: String)? = nil) -> TLSConfiguration {
        .client(trustRootsFile: caFile, serverName: "localhost", certificateChainFile: identity?.certificateFile,
                privateKeyFile: identity?.keyFile)
    }

    /// A client certificate for `username`, written to files.
    func issueClient(_ username: String) throws -> (issued: IssuedCertificate, certificateFile: String, keyFile: String) {
        let issued = try authority.issue(commonName: username, organization: "MedExpress staff", usage: .client, validityDays: 2)
        let certificateFile = directory + "/\(username).pem"
        let keyFile = directory + "/\(username).key"
        try CertificateAuthority.writePEM(issued.certificatePEM, to: certificateFile, mode: 0o644)
        try CertificateAuthority.writePEM(issued.privateKeyPEM, to: keyFile, mode: 0o600)
        return (issued, certificateFile, keyFile)
    }
}

/// A member of staff signed in with certificate, password and TOTP, and their channel.
struct TestStaff {
    let id: String
    let channel: GRPCChannel
    var prescriber: Medexpress_V1_PrescriberServiceClient { Medexpress_V1_PrescriberServiceClient(channel: channel) }
    var pharmacy: Medexpress_V1_PharmacyServiceClient { Medexpress_V1_PharmacyServiceClient(channel: channel) }
    var admin: Medexpress_V1_AdminServiceClient { Medexpress_V1_AdminServiceClient(channel: channel) }
    var auth: Medexpress_V1_AuthServiceClient { Medexpress_V1_AuthServiceClient(channel: channel) }
}

extension TestDeployment {
    /// Adds a member of staff as `medexpress staff add` does and opens a channel signed in as them
    /// over mTLS with their certificate, password and current TOTP code (ClientKit's staff credentials).
    func signInStaff(_ username: String, role: Medexpress_V1_Role) async throws -> TestStaff {
        guard let pki else { preconditionFailure("staff sign in needs TestDeployment.start(pki:)") }
        let client = try pki.issueClient(username)
        let directory = StaffDirectory(store: store, vault: vault, blocking: blocking, passwords: TestDeployment.cheapPasswords)
        var registration: Medexpress_V1_ProfessionalRegistration?
        var address: Medexpress_V1_PostalAddress?
        if role == .prescriber {
            registration = .with {
                $0.body = .gmc
                $0.registrationNumber = "7654321"
                $0.profession = "General practitioner"
            }
            address = .with { $0.lines = ["MedExpress Clinic", "1 Example Street"]; $0.town = "London"; $0.postcode = "EC1A 1BB" }
        }
        let password = "a long staff password"
        let added = try await directory.add(NewStaffMember(username: username, role: role, givenName: "Priya", familyName: "Shah",
                                                           email: "\(username)@medexpress.example", registration: registration,
                                                           address: address, password: password),
                                            certificate: .init(sha256Thumbprint: client.issued.sha256Thumbprint,
                                                               serialNumber: client.issued.serialNumber),
                                            actor: "test", method: "test")
        let secretText = added.provisioningURI.split(separator: "secret=")[1].split(separator: "&")[0]
        let totp = TOTP(secret: TOTPSecret(base32: String(secretText))!)
        var configuration = ChannelConfiguration()
        configuration.retryPolicy = .disabled
        configuration.credentials = StaffSessionCredentials(username: username, password: password) {
            totp.code(atUnixSeconds: Int64(Date().timeIntervalSince1970))
        }
        let channel = try GRPCChannel(target: SocketAddress(host: "127.0.0.1", port: server.port),
                                      tls: pki.clientTLS(identity: (client.certificateFile, client.keyFile)), configuration: configuration)
        return TestStaff(id: added.staffID, channel: channel)
    }
}

extension TestDeployment {
    /// Adds a service account as `medexpress service-account add` does and opens a channel that
    /// presents its certificate (its only credential).
    func connectServiceAccount(_ name: String, role: Medexpress_V1_Role) async throws -> GRPCChannel {
        guard let pki else { preconditionFailure("service accounts need TestDeployment.start(pki:)") }
        let client = try pki.issueClient(name)
        try await ServiceAccounts(store: store).add(name: name, role: role, certificateThumbprint: client.issued.sha256Thumbprint,
                                                    actor: "test", method: "test")
        var configuration = ChannelConfiguration()
        configuration.retryPolicy = .disabled
        return try GRPCChannel(target: SocketAddress(host: "127.0.0.1", port: server.port),
                               tls: pki.clientTLS(identity: (client.certificateFile, client.keyFile)), configuration: configuration)
    }

    /// An order of `email` taken through approval, dispensing and dispatch with `delivery`.
    func dispatchedOrder(_ email: String, delivery: String = "royal-mail-1st-class", prescriber: TestStaff, pharmacist: TestStaff) async throws
        -> (customer: TestCustomer, order: String, shipment: Medexpress_V1_Shipment) {
        let customer = try await signUp(email)
        let consultation = try await consult(customer, "erectile-dysfunction")
        let order = try await checkout(customer, consultation.id, product: "sildenafil-25mg-4", delivery: delivery).id
        _ = try await pharmacist.pharmacy.receiveStock(.with {
            $0.requestId = TestDeployment.requestID()
            $0.productId = "sildenafil-25mg-4"
            $0.quantity = 1
            $0.reference = "test delivery"
        })
        let approved = try await prescriber.prescriber.approve(.with { $0.requestId = TestDeployment.requestID(); $0.orderId = order })
        _ = try await pharmacist.pharmacy.startDispensing(.with { $0.requestId = TestDeployment.requestID(); $0.orderId = order })
        _ = try await pharmacist.pharmacy.verifyItem(.with {
            $0.requestId = TestDeployment.requestID()
            $0.orderId = order
            $0.scannedGtin = approved.prescription?.prescription?.gtin ?? ""
        })
        _ = try await pharmacist.pharmacy.completeDispensing(.with { $0.requestId = TestDeployment.requestID(); $0.orderId = order })
        let shipment = try await pharmacist.pharmacy.createShipment(.with { $0.requestId = TestDeployment.requestID(); $0.orderId = order })
        return (customer, order, shipment)
    }
}
