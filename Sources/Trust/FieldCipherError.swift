/// Why a sealed field could not be opened. No plaintext is ever returned in these cases.
public enum FieldCipherError: Error, Hashable, CustomStringConvertible {
    /// Shorter than the smallest sealed value: cut off, or not a sealed value at all.
    case truncated(byteCount: Int)
    /// Longer than any value this code seals.
    case tooLarge(byteCount: Int)
    /// Written in a format version this code does not read.
    case unsupportedVersion(UInt8)
    /// Sealed under a data key the key ring does not hold.
    case unknownDataKey(id: UInt32)
    /// The tag does not match: the value was altered, or belongs to another table, column or row.
    case authenticationFailed(FieldContext)
    /// Authentic, but not UTF-8 text: it was sealed as bytes, not as a string.
    case notText(FieldContext)

    /// What failed, and what to check.
    public var description: String {
        switch self {
        case .truncated(let byteCount):
            "a sealed value of \(byteCount) bytes is truncated or not a sealed value "
                + "(the shortest is \(FieldCipher.overheadByteCount) bytes)"
        case .tooLarge(let byteCount):
            "a sealed value of \(byteCount) bytes exceeds the limit of "
                + "\(FieldCipher.maxPlaintextBytes + FieldCipher.overheadByteCount) bytes"
        case .unsupportedVersion(let version):
            "sealed value format version \(version) is not supported (this server reads version \(FieldCipher.formatVersion))"
        case .unknownDataKey(let id):
            "the value was sealed under data key \(id), which is not in the key ring: load every stored data key"
        case .authenticationFailed(let context):
            "the sealed value for \(context) does not authenticate: it was altered or belongs to another field or row"
        case .notText(let context):
            "the value for \(context) is not UTF-8 text"
        }
    }
}
