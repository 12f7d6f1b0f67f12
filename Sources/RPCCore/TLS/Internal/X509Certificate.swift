import COpenSSL

/// An owned OpenSSL `X509*`, freed with the object.
final class X509Certificate {
    let pointer: OpaquePointer

    /// Takes ownership of a certificate.
    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    /// Parses the first certificate in PEM text.
    convenience init(pem: String) throws(TLSError) {
        OpenSSLErrors.clear()
        let certificate = PEMBuffer.withBIO(reading: pem) { PEM_read_bio_X509($0, nil, nil, nil) }
        guard let certificate else {
            throw .invalidPEM("no certificate: " + OpenSSLErrors.drain(or: "unreadable PEM"))
        }
        self.init(taking: certificate)
    }

    deinit { X509_free(pointer) }

    /// The PEM text of the certificate.
    func pem() throws(TLSError) -> String {
        try PEMBuffer.write { PEM_write_bio_X509($0, pointer) == 1 }
    }

    /// The SHA-256 digest of the DER encoding, lower-case hex.
    var sha256Thumbprint: String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(pointer, EVP_sha256(), &digest, &length) == 1 else { return "" }
        return HexEncoding.lowercase(digest[..<Int(length)])
    }

    /// The serial number, lower-case hex without leading zeros.
    var serialNumber: String {
        guard let bignum = ASN1_INTEGER_to_BN(X509_get0_serialNumber(pointer), nil) else { return "" }
        defer { BN_free(bignum) }
        guard let hex = BN_bn2hex(bignum) else { return "" }
        defer { medexpress_OPENSSL_free(hex) }
        return String(cString: hex).lowercased()
    }

    /// The subject name in RFC 2253 form, UTF-8 left unescaped.
    var subject: String {
        guard let name = X509_get_subject_name(pointer), let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        guard X509_NAME_print_ex(bio, name, 0, medexpress_XN_FLAG_RFC2253_UTF8()) >= 0 else { return "" }
        return PEMBuffer.contents(of: bio)
    }

    /// The first common name of the subject.
    var commonName: String? {
        guard let name = X509_get_subject_name(pointer) else { return nil }
        let index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index),
              let data = X509_NAME_ENTRY_get_data(entry) else { return nil }
        var utf8: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&utf8, data)
        guard length >= 0, let utf8 else { return nil }
        defer { medexpress_OPENSSL_free(utf8) }
        return String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
    }

    /// The subjectAltName entries as `DNS:`, `IP:`, `URI:` and `email:` prefixed strings, in
    /// certificate order; IPv6 addresses in their RFC 5952 text form. Other kinds are skipped.
    var subjectAlternativeNames: [String] {
        guard let names = medexpress_X509_get_subject_alt_names(pointer) else { return [] }
        defer { medexpress_GENERAL_NAMES_free(names) }
        var result: [String] = []
        for index in 0 ..< medexpress_sk_GENERAL_NAME_num(names) {
            guard let name = medexpress_sk_GENERAL_NAME_value(names, index) else { continue }
            var type: Int32 = 0
            guard let value = GENERAL_NAME_get0_value(name, &type) else { continue }
            let string = value.assumingMemoryBound(to: ASN1_STRING.self)
            let bytes = UnsafeBufferPointer(start: ASN1_STRING_get0_data(string), count: Int(ASN1_STRING_length(string)))
            switch type {
            case GEN_DNS: result.append("DNS:" + String(decoding: bytes, as: UTF8.self))
            case GEN_URI: result.append("URI:" + String(decoding: bytes, as: UTF8.self))
            case GEN_EMAIL: result.append("email:" + String(decoding: bytes, as: UTF8.self))
            case GEN_IPADD: if let address = IPAddressText.format(bytes) { result.append("IP:" + address) }
            default: continue
            }
        }
        return result
    }

    /// The fields a server shows handlers about a verified peer.
    var peerCertificate: PeerCertificate {
        PeerCertificate(subject: subject, commonName: commonName, subjectAlternativeNames: subjectAlternativeNames,
                        sha256Thumbprint: sha256Thumbprint, serialNumber: serialNumber)
    }
}
