/// The 256-bit key kept outside the database that wraps the data keys and derives the blind-index
/// key. Its file holds the base64 text of the key, the same text `MEDEXPRESS_MASTER_KEY` takes.
public struct MasterKey: Sendable {
    /// Length of the key.
    public static let byteCount = 32
    /// The environment variable that may hold the key's base64 text instead of a file.
    public static let environmentVariable = "MEDEXPRESS_MASTER_KEY"
    /// Longest key file read: 44 base64 characters and some white space fit many times over.
    static let maxFileBytes = 256

    let secret: SecretBytes

    private init(bytes: [UInt8]) {
        secret = SecretBytes(bytes: bytes)
    }

    /// A key from its base64 text (white space around it ignored), e.g. `MEDEXPRESS_MASTER_KEY`'s value.
    public init(base64: String) throws(MasterKeyError) {
        try self.init(base64: base64, source: Self.environmentVariable)
    }

    private init(base64: String, source: String) throws(MasterKeyError) {
        guard base64.utf8.count <= Self.maxFileBytes,
              let bytes = BaseNEncoding.base64.decode(base64.trimmingWhiteSpace())
        else { throw .malformed(source: source, reason: "it is not base64 text") }
        guard bytes.count == Self.byteCount else {
            throw .malformed(source: source, reason: "it decodes to \(bytes.count) bytes")
        }
        self.init(bytes: bytes)
    }

    /// Where a data directory keeps its master key: `DIR/keys/master.key`.
    public static func filePath(dataDirectory: String) -> String {
        dataDirectory + "/keys/master.key"
    }

    /// Reads the key file at `path`, refusing one its group or others may access.
    public static func load(from path: String) throws(MasterKeyError) -> MasterKey {
        let text = try KeyFile.readOwnerOnly(at: path, maxBytes: maxFileBytes)
        return try MasterKey(base64: String(decoding: text, as: UTF8.self), source: path)
    }

    /// Reads the key file at `path`, or creates it with a new random key (file mode 0600, its
    /// directory 0700 when created too). Concurrent callers all end up with the same key.
    public static func createIfMissing(at path: String) throws(MasterKeyError) -> MasterKey {
        do {
            return try load(from: path)
        } catch .notFound {
            let key = MasterKey(bytes: SecureRandom.bytes(byteCount))
            let text = BaseNEncoding.base64.encode(key.secret.bytes, padded: true) + "\n"
            // Another process may have created it first: then its key is the one to use.
            guard try KeyFile.createExclusively(at: path, contents: Array(text.utf8)) else { return try load(from: path) }
            return key
        }
    }
}
