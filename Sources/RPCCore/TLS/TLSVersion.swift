import COpenSSL

/// A TLS protocol version this server and client kit speaks.
public enum TLSVersion: Int, Sendable, Hashable, Comparable, CustomStringConvertible {
    case tls12
    case tls13

    /// OpenSSL's version constant.
    var openSSLValue: Int32 {
        switch self {
        case .tls12: TLS1_2_VERSION
        case .tls13: TLS1_3_VERSION
        }
    }

    /// The name OpenSSL reports for the version, e.g. `TLSv1.3`.
    public var description: String {
        switch self {
        case .tls12: "TLSv1.2"
        case .tls13: "TLSv1.3"
        }
    }

    public static func < (lhs: TLSVersion, rhs: TLSVersion) -> Bool { lhs.rawValue < rhs.rawValue }
}
