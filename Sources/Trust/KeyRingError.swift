/// Why a key ring could not be assembled from the stored data keys.
public enum KeyRingError: Error, Hashable, CustomStringConvertible {
    /// A data key did not authenticate under the master key given.
    case masterKeyMismatch(keyID: UInt32)
    /// A stored wrapped key has the wrong length or format version.
    case malformedWrappedKey(keyID: UInt32, byteCount: Int)
    /// Two stored keys share an id.
    case duplicateKeyID(UInt32)
    /// The key chosen for new seals is not among the stored keys.
    case activeKeyMissing(UInt32)

    /// What failed, and what to check.
    public var description: String {
        switch self {
        case .masterKeyMismatch(let keyID):
            "data key \(keyID) does not unwrap: the master key is not the one the data keys were wrapped with "
                + "(check the key file or \(MasterKey.environmentVariable)), or the stored key was altered"
        case .malformedWrappedKey(let keyID, let byteCount):
            "stored data key \(keyID) is \(byteCount) bytes, not a wrapped key of format version "
                + "\(KeyRing.wrapFormatVersion) (\(KeyRing.wrappedKeyByteCount) bytes)"
        case .duplicateKeyID(let keyID):
            "data key id \(keyID) is stored twice"
        case .activeKeyMissing(let keyID):
            "the active data key \(keyID) is not among the stored data keys"
        }
    }
}
