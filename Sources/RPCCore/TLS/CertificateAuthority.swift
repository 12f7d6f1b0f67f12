import COpenSSL
import Glibc

/// A development certificate authority: an EC P-256 key and a self-signed CA certificate that
/// issue server and client certificates for local TLS and mutual TLS. Not for production PKI.
public struct CertificateAuthority: Sendable, Hashable {
    /// The CA certificate in PEM (the trust roots file for peers).
    public let certificatePEM: String
    /// The CA's unencrypted PKCS#8 private key in PEM.
    public let privateKeyPEM: String

    /// How far `notBefore` is set in the past, so clocks slightly behind still accept new certificates.
    static let clockSkewAllowanceSeconds = 300
    /// The longest validity accepted (about 10 years).
    static let maxValidityDays = 3_660
    /// The largest certificate signing request accepted, in PEM bytes; an RSA-8192 request is about 3 KiB.
    static let maxRequestPEMBytes = 16_384
    /// The curves a requested EC key may use: NIST P-256 and P-384.
    static let acceptedRequestCurveNIDs: Set<Int32> = [NID_X9_62_prime256v1, NID_secp384r1]
    /// The smallest RSA modulus accepted; NIST SP 800-131A disallows smaller keys for signatures.
    static let minRequestRSABits = 2_048
    /// The largest RSA modulus accepted, which bounds the work of verifying a request.
    static let maxRequestRSABits = 8_192

    /// A CA from its PEM certificate and key; checks the certificate is a CA and the key is its own.
    public init(certificatePEM: String, privateKeyPEM: String) throws(TLSError) {
        let certificate = try X509Certificate(pem: certificatePEM)
        let key = try PrivateKey(pem: privateKeyPEM)
        guard X509_check_ca(certificate.pointer) >= 1 else {
            throw .invalidPEM("the certificate is not a CA certificate (basicConstraints CA:TRUE)")
        }
        guard X509_check_private_key(certificate.pointer, key.pointer) == 1 else {
            OpenSSLErrors.clear()
            throw .invalidPEM("the private key does not match the CA certificate")
        }
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
    }

    private init(certificate: X509Certificate, key: PrivateKey) throws(TLSError) {
        self.certificatePEM = try certificate.pem()
        self.privateKeyPEM = try key.pem()
    }

    /// A new CA with a self-signed certificate: basicConstraints `critical,CA:TRUE`,
    /// keyUsage `critical,keyCertSign,cRLSign` and a subjectKeyIdentifier.
    public static func create(commonName: String, validityDays: Int) throws(TLSError) -> CertificateAuthority {
        let key = try PrivateKey.generateP256()
        let builder = try CertificateBuilder(subjectKey: key.publicKey, commonName: commonName, organization: nil,
                                             validityDays: validityDays)
        try builder.setIssuer(nil)
        try builder.addExtension(NID_basic_constraints, "critical,CA:TRUE")
        try builder.addExtension(NID_key_usage, "critical,keyCertSign,cRLSign")
        try builder.addExtension(NID_subject_key_identifier, "hash")
        let certificate = try builder.sign(with: key)
        return try CertificateAuthority(certificate: certificate, key: key)
    }

    /// A new key and a certificate for it signed by this CA, with the given names as SANs,
    /// extendedKeyUsage from `usage`, an authorityKeyIdentifier and a random 128-bit serial.
    public func issue(commonName: String, organization: String? = nil, dnsNames: [String] = [],
                      ipAddresses: [String] = [], usage: CertificateUsage,
                      validityDays: Int) throws(TLSError) -> IssuedCertificate {
        let key = try PrivateKey.generateP256()
        let certificate = try signLeaf(subjectKey: key.publicKey, commonName: commonName, organization: organization,
                                       dnsNames: dnsNames, ipAddresses: ipAddresses, usage: usage,
                                       validityDays: validityDays)
        return IssuedCertificate(certificatePEM: try certificate.pem(), privateKeyPEM: try key.pem(),
                                 sha256Thumbprint: certificate.sha256Thumbprint,
                                 serialNumber: certificate.serialNumber)
    }

    /// A certificate signed by this CA for the key in a PEM PKCS#10 request, once the request's
    /// signature proves the requester holds that key. The subject and extensions come from the
    /// arguments, as for `issue(commonName:…)`; whatever the request asks for is ignored.
    public func issue(forRequestPEM csrPEM: String, commonName: String, organization: String?,
                      usage: CertificateUsage, validityDays: Int) throws(TLSError) -> SignedCertificate {
        guard csrPEM.utf8.count <= Self.maxRequestPEMBytes else {
            throw .invalidCertificateRequest("the PEM is \(csrPEM.utf8.count) bytes; at most \(Self.maxRequestPEMBytes)")
        }
        let request = try CertificateRequest(pem: csrPEM)
        let key = try request.publicKey()
        // Checked before the signature, so an unsupported key is never used to verify anything.
        try Self.checkRequestedKey(key)
        try request.verifySignature(with: key)
        let certificate = try signLeaf(subjectKey: key, commonName: commonName, organization: organization,
                                       dnsNames: [], ipAddresses: [], usage: usage, validityDays: validityDays)
        return SignedCertificate(certificatePEM: try certificate.pem(), sha256Thumbprint: certificate.sha256Thumbprint,
                                 serialNumber: certificate.serialNumber)
    }

    /// A new EC P-256 key and a PEM certificate signing request for it with `commonName` as its
    /// subject, for `issue(forRequestPEM:…)`; the key is unencrypted PKCS#8 PEM.
    public static func makeRequest(commonName: String) throws(TLSError) -> (requestPEM: String, privateKeyPEM: String) {
        let key = try PrivateKey.generateP256()
        let request = try CertificateRequest(commonName: commonName, key: key)
        return (try request.pem(), try key.pem())
    }

    /// Refuses keys outside the policy: EC on P-256 or P-384 (named, not explicit parameters), or
    /// RSA of `minRequestRSABits` to `maxRequestRSABits`.
    private static func checkRequestedKey(_ key: PublicKey) throws(TLSError) {
        let algorithm = key.algorithm
        switch algorithm {
        case .ellipticCurve(let curveNID) where acceptedRequestCurveNIDs.contains(curveNID): return
        case .rsa(let bits) where (minRequestRSABits ... maxRequestRSABits).contains(bits): return
        default:
            throw .invalidCertificateRequest("the requested key (\(algorithm)) is not accepted; use EC P-256 or P-384, "
                                             + "or RSA of \(minRequestRSABits) to \(maxRequestRSABits) bits")
        }
    }

    /// Signs a certificate for `subjectKey` as an end entity: basicConstraints CA:FALSE, keyUsage
    /// digitalSignature, extendedKeyUsage from `usage`, key identifiers and the given SANs.
    private func signLeaf(subjectKey: PublicKey, commonName: String, organization: String?, dnsNames: [String],
                          ipAddresses: [String], usage: CertificateUsage,
                          validityDays: Int) throws(TLSError) -> X509Certificate {
        let caCertificate = try X509Certificate(pem: certificatePEM)
        let caKey = try PrivateKey(pem: privateKeyPEM)
        let builder = try CertificateBuilder(subjectKey: subjectKey, commonName: commonName, organization: organization,
                                             validityDays: validityDays)
        try builder.setIssuer(caCertificate)
        try builder.addExtension(NID_basic_constraints, "critical,CA:FALSE")
        try builder.addExtension(NID_key_usage, "critical,digitalSignature")
        try builder.addExtension(NID_ext_key_usage, usage.extendedKeyUsage)
        try builder.addExtension(NID_subject_key_identifier, "hash")
        try builder.addExtension(NID_authority_key_identifier, "keyid:always")
        try builder.addSubjectAlternativeNames(dnsNames: dnsNames, ipAddresses: ipAddresses)
        return try builder.sign(with: caKey)
    }

    /// Writes PEM text to `path` atomically (a temporary file renamed into place) with the
    /// given permissions, e.g. 0o600 for private keys, 0o644 for certificates.
    public static func writePEM(_ text: String, to path: String, mode: mode_t) throws(TLSError) {
        func failure(_ step: String) -> TLSError {
            .fileWriteFailed(path: path, reason: "\(step): \(String(cString: strerror(errno)))")
        }
        var template = Array((path + ".tmp.XXXXXX").utf8CString)
        // mkstemp creates the file 0600, so a key is never readable by others, even briefly.
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw failure("creating a temporary file") }
        let temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var succeeded = false
        defer { if !succeeded { unlink(temporaryPath) } }
        let written = Array(text.utf8).withUnsafeBytes { bytes -> Bool in
            var offset = 0
            while offset < bytes.count {
                let count = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += count
            }
            return true
        }
        guard written else { close(fd); throw failure("writing") }
        guard fchmod(fd, mode) == 0 else { close(fd); throw failure("setting permissions") }
        guard fsync(fd) == 0 else { close(fd); throw failure("syncing") }
        guard close(fd) == 0 else { throw failure("closing") }
        guard rename(temporaryPath, path) == 0 else { throw failure("renaming into place") }
        succeeded = true
    }
}

/// An X.509 v3 certificate being assembled; owns the `X509*` until it is signed.
private final class CertificateBuilder {
    private let certificate: X509Certificate
    private let subjectName: OpaquePointer
    private var issuer: X509Certificate?

    init(subjectKey: PublicKey, commonName: String, organization: String?, validityDays: Int) throws(TLSError) {
        guard (1 ... CertificateAuthority.maxValidityDays).contains(validityDays) else {
            throw .certificateGenerationFailed("validity must be 1 to \(CertificateAuthority.maxValidityDays) days")
        }
        guard !commonName.isEmpty else { throw .certificateGenerationFailed("the common name is empty") }
        OpenSSLErrors.clear()
        guard let x509 = X509_new() else { throw .certificateGenerationFailed("X509_new failed") }
        certificate = X509Certificate(taking: x509)
        guard let name = X509_get_subject_name(x509) else { throw .certificateGenerationFailed("no subject name") }
        subjectName = name

        // X509_VERSION_3 is encoded as 2.
        guard X509_set_version(x509, 2) == 1, try setRandomSerial(),
              X509_gmtime_adj(X509_getm_notBefore(x509), -CertificateAuthority.clockSkewAllowanceSeconds) != nil,
              X509_time_adj_ex(X509_getm_notAfter(x509), Int32(validityDays), 0, nil) != nil,
              // Most general first, so the RFC 2253 form reads `CN=…,O=…`.
              organization.map({ addNameEntry("O", $0) }) ?? true,
              addNameEntry("CN", commonName),
              X509_set_pubkey(x509, subjectKey.pointer) == 1
        else { throw .certificateGenerationFailed(OpenSSLErrors.drain(or: "setting certificate fields")) }
    }

    /// Sets the issuer; nil makes the certificate self-signed.
    func setIssuer(_ issuer: X509Certificate?) throws(TLSError) {
        self.issuer = issuer
        let issuerName = issuer.map { X509_get_subject_name($0.pointer) } ?? subjectName
        guard X509_set_issuer_name(certificate.pointer, issuerName) == 1 else {
            throw .certificateGenerationFailed(OpenSSLErrors.drain(or: "setting the issuer name"))
        }
    }

    /// Adds an extension written in OpenSSL's configuration syntax (a fixed string of ours).
    func addExtension(_ nid: Int32, _ value: String) throws(TLSError) {
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer?.pointer ?? certificate.pointer, certificate.pointer, nil, nil, 0)
        guard let ext = X509V3_EXT_nconf_nid(nil, &context, nid, value) else {
            throw .certificateGenerationFailed("extension \(value): " + OpenSSLErrors.drain(or: "rejected"))
        }
        defer { X509_EXTENSION_free(ext) }
        guard X509_add_ext(certificate.pointer, ext, -1) == 1 else {
            throw .certificateGenerationFailed("adding extension \(value): " + OpenSSLErrors.drain(or: "failed"))
        }
    }

    /// Adds subjectAltName entries, built directly so no name can inject configuration syntax.
    func addSubjectAlternativeNames(dnsNames: [String], ipAddresses: [String]) throws(TLSError) {
        guard !dnsNames.isEmpty || !ipAddresses.isEmpty else { return }
        guard let names = GENERAL_NAMES_new() else { throw .certificateGenerationFailed("GENERAL_NAMES_new failed") }
        defer { medexpress_GENERAL_NAMES_free(names) }
        for dnsName in dnsNames {
            guard !dnsName.isEmpty, dnsName.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw .certificateGenerationFailed("invalid DNS name \(dnsName.debugDescription)")
            }
            guard let value = ASN1_IA5STRING_new() else { throw .certificateGenerationFailed("ASN1_IA5STRING_new failed") }
            guard ASN1_STRING_set(value, dnsName, Int32(dnsName.utf8.count)) == 1 else {
                ASN1_IA5STRING_free(value)
                throw .certificateGenerationFailed("ASN1_STRING_set failed")
            }
            try push(names, type: GEN_DNS, value: value)
        }
        for address in ipAddresses {
            guard IPAddressText.isAddress(address), let value = a2i_IPADDRESS(address) else {
                OpenSSLErrors.clear()
                throw .certificateGenerationFailed("invalid IP address \(address.debugDescription)")
            }
            try push(names, type: GEN_IPADD, value: value)
        }
        guard X509_add1_ext_i2d(certificate.pointer, NID_subject_alt_name, UnsafeMutableRawPointer(names), 0,
                                UInt(X509V3_ADD_DEFAULT)) == 1 else {
            throw .certificateGenerationFailed("adding subjectAltName: " + OpenSSLErrors.drain(or: "failed"))
        }
    }

    /// Signs with ECDSA-SHA256 and hands over the finished certificate.
    func sign(with key: PrivateKey) throws(TLSError) -> X509Certificate {
        guard X509_sign(certificate.pointer, key.pointer, EVP_sha256()) > 0 else {
            throw .certificateGenerationFailed("signing: " + OpenSSLErrors.drain(or: "failed"))
        }
        return certificate
    }

    /// Takes ownership of `value` (an ASN1 string) whatever happens.
    private func push(_ names: OpaquePointer, type: Int32, value: UnsafeMutablePointer<ASN1_STRING>) throws(TLSError) {
        guard let name = GENERAL_NAME_new() else {
            ASN1_STRING_free(value)
            throw .certificateGenerationFailed("GENERAL_NAME_new failed")
        }
        GENERAL_NAME_set0_value(name, type, UnsafeMutableRawPointer(value))
        guard medexpress_sk_GENERAL_NAME_push(names, name) > 0 else {
            GENERAL_NAME_free(name)
            throw .certificateGenerationFailed("sk_GENERAL_NAME_push failed")
        }
    }

    /// A random positive 128-bit serial (RFC 5280 §4.1.2.2 allows up to 20 octets).
    private func setRandomSerial() throws(TLSError) -> Bool {
        var bytes = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&bytes, Int32(bytes.count)) == 1 else {
            throw .certificateGenerationFailed("RAND_bytes: " + OpenSSLErrors.drain(or: "failed"))
        }
        bytes[0] = bytes[0] & 0x7F | 0x40  // positive, and a full 16 octets long
        guard let bignum = BN_bin2bn(bytes, Int32(bytes.count), nil) else { return false }
        defer { BN_free(bignum) }
        return BN_to_ASN1_INTEGER(bignum, X509_get_serialNumber(certificate.pointer)) != nil
    }

    private func addNameEntry(_ field: String, _ value: String) -> Bool {
        X509_NAME_add_entry_by_txt(subjectName, field, MBSTRING_UTF8, value, -1, -1, 0) == 1
    }
}
