import COpenSSL

/// An owned OpenSSL `EVP_PKEY*` held for its public half (the key a certificate certifies), freed
/// with the object.
final class PublicKey {
    /// What kind of key it is, as far as a certificate authority's key policy cares.
    enum Algorithm: Hashable, CustomStringConvertible {
        /// An elliptic-curve key on a named curve, by its OpenSSL NID.
        case ellipticCurve(curveNID: Int32)
        /// An EC key with explicit curve parameters, which hide which curve it really is.
        case ellipticCurveWithExplicitParameters
        /// An RSA key (rsaEncryption, not RSA-PSS) with a modulus of this many bits.
        case rsa(bits: Int)
        /// Any other kind of key, by its OpenSSL short name.
        case other(String)

        var description: String {
            switch self {
            case .ellipticCurve(let curveNID): "EC " + (OBJ_nid2sn(curveNID).map { String(cString: $0) } ?? "curve \(curveNID)")
            case .ellipticCurveWithExplicitParameters: "EC with explicit curve parameters"
            case .rsa(let bits): "RSA \(bits) bits"
            case .other(let name): name
            }
        }
    }

    let pointer: OpaquePointer

    /// Takes ownership of a key.
    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit { EVP_PKEY_free(pointer) }

    /// The key's algorithm, with its curve or size.
    var algorithm: Algorithm {
        switch EVP_PKEY_get_base_id(pointer) {
        case EVP_PKEY_RSA:
            return .rsa(bits: Int(EVP_PKEY_get_bits(pointer)))
        case EVP_PKEY_EC:
            // OSSL_PKEY_PARAM_EC_ENCODING: "named_curve" or "explicit".
            var encoding = [CChar](repeating: 0, count: 32)
            guard EVP_PKEY_get_utf8_string_param(pointer, "encoding", &encoding, encoding.count, nil) == 1,
                  String(decoding: encoding.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                      == "named_curve" else {
                OpenSSLErrors.clear()
                return .ellipticCurveWithExplicitParameters
            }
            var name = [CChar](repeating: 0, count: 64)
            guard EVP_PKEY_get_group_name(pointer, &name, name.count, nil) == 1 else {
                OpenSSLErrors.clear()
                return .ellipticCurveWithExplicitParameters
            }
            let shortNameNID = OBJ_sn2nid(name)
            return .ellipticCurve(curveNID: shortNameNID != NID_undef ? shortNameNID : EC_curve_nist2nid(name))
        case let id:
            return .other(OBJ_nid2sn(id).map { String(cString: $0) } ?? "key type \(id)")
        }
    }
}
