import Generated
import RPCCore
import Store
import Trust

extension AuthService {
    /// Creates a member of staff and signs the certificate request their own device made: their
    /// private key never travels. The response holds their TOTP provisioning URI, so the copy kept
    /// for retries of the same request_id is sealed like any secret.
    public func createStaff(_ request: Medexpress_V1_CreateStaffRequest, context: ServerContext) async throws -> Medexpress_V1_CreateStaffResponse {
        let caller = try context.requireCaller()
        try Idempotency.check(request.requestId)
        guard let authority = staffAuthority else {
            throw Status(.failedPrecondition, "this server holds no key of the staff CA: add staff with `medexpress staff add` where it is")
        }
        let member = NewStaffMember(username: request.username, role: request.role, givenName: request.givenName,
                                    familyName: request.familyName, email: request.email, registration: request.registration,
                                    address: request.address, password: request.initialPassword)
        try StaffDirectory.validate(member)
        guard !request.certificateSigningRequest.isEmpty else {
            throw Status(.invalidArgument, "certificate_signing_request: the staff member's PKCS#10 request (PEM) is needed")
        }
        let scope = "CreateStaff:" + caller.subjectID
        let fingerprint = vault.blindIndex.index(scope + ":" + Hex.encode(request.encoded()))
        let responseContext = FieldContext(table: "idempotency_keys", column: "response", row: scope + "/" + request.requestId)
        if let sealed = try await Idempotency.earlierResponse(scope: scope, requestID: request.requestId, fingerprint: fingerprint,
                                                              store: store) {
            return try Medexpress_V1_CreateStaffResponse(decoding: try vault.cipher.open(sealed, context: responseContext))
        }
        let signed: SignedCertificate
        do {
            signed = try authority.issue(forRequestPEM: request.certificateSigningRequest, commonName: request.username,
                                         organization: "MedExpress staff", usage: .client,
                                         validityDays: Self.staffCertificateValidityDays)
        } catch .invalidCertificateRequest(let reason) {
            throw Status(.invalidArgument, "certificate_signing_request: \(reason)")
        } catch {
            throw Status(.internalError, "cannot sign the certificate: \(error)")
        }
        let now = clock()
        let cipher = vault.cipher
        let requestID = request.requestId
        let certificatePEM = signed.certificatePEM
        return try await staffDirectory.add(member, certificate: .init(sha256Thumbprint: signed.sha256Thumbprint,
                                                                    serialNumber: signed.serialNumber),
                                         actor: caller.subjectID, method: context.method.path) { tx, staffID, uri in
            guard let row = try tx.query("""
                SELECT id, username, role, given_name, family_name, registration_body, registration_number, profession,
                       disabled, created_at_us
                FROM staff WHERE id = $1
                """, [.text(staffID)]).first else { throw Status(.internalError, "the new staff row is missing") }
            var made = Medexpress_V1_CreateStaffResponse()
            made.staff = try Self.staffMember(row, cipher: cipher)
            made.clientCertificate = certificatePEM
            made.totpProvisioningUri = uri
            try Idempotency.record(scope: scope, requestID: requestID, fingerprint: fingerprint,
                                   response: cipher.seal(made.encoded(), context: responseContext), now: now, in: tx)
            return made
        }.extra
    }

    /// How long a staff certificate signed from a request lasts.
    static let staffCertificateValidityDays = 365
}
