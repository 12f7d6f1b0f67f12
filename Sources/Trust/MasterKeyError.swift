/// Why a master key could not be loaded, parsed or created.
public enum MasterKeyError: Error, Hashable, CustomStringConvertible {
    /// No key file exists at the path.
    case notFound(path: String)
    /// The key file exists but could not be opened or read.
    case unreadable(path: String, reason: String)
    /// The path is a directory, device or other non-regular file.
    case notARegularFile(path: String)
    /// The key file grants its group or others some access (`mode` holds the permission bits).
    case permissionsTooOpen(path: String, mode: UInt32)
    /// The key text is not the base64 of exactly `MasterKey.byteCount` bytes.
    case malformed(source: String, reason: String)
    /// A new key file could not be written.
    case writeFailed(path: String, reason: String)

    /// What failed, and what to do about it.
    public var description: String {
        switch self {
        case .notFound(let path):
            "no master key at \(path): run `medexpress init` for this data directory, or set \(MasterKey.environmentVariable)"
        case .unreadable(let path, let reason):
            "cannot read the master key file \(path): \(reason)"
        case .notARegularFile(let path):
            "the master key path \(path) is not a regular file"
        case .permissionsTooOpen(let path, let mode):
            "the master key file \(path) has mode 0\(String(mode, radix: 8)); only its owner may have access: chmod 600 \(path)"
        case .malformed(let source, let reason):
            "the master key in \(source) is unusable: \(reason); it must be the base64 of \(MasterKey.byteCount) random bytes"
        case .writeFailed(let path, let reason):
            "cannot create the master key file \(path): \(reason)"
        }
    }
}
