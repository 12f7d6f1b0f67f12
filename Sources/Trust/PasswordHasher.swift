/// Password hashing with scrypt, stored as a PHC string: `$scrypt$ln=17,r=8,p=1$<salt>$<hash>`,
/// salt and hash in base64 without padding. Hashing at the recommended cost takes about 128 MiB
/// and a third of a second: call it from the blocking pool, never from an event loop.
public struct PasswordHasher: Sendable {
    /// Length of the random salt.
    public static let saltByteCount = 16
    /// Length of the derived hash.
    public static let hashByteCount = 32
    /// Salt and hash lengths accepted in a stored value.
    static let storedByteCounts = 16 ... 64
    /// Longest stored value parsed.
    static let maxEncodedBytes = 256

    /// The cost new hashes are made with.
    public let parameters: ScryptParameters

    /// A hasher making new hashes at `parameters`; only tests that do not measure cost lower it.
    public init(parameters: ScryptParameters = .owaspRecommended) {
        self.parameters = parameters
    }

    /// A new salted hash of `password`, which `PasswordPolicy` has accepted.
    public func hash(_ password: String) -> String {
        precondition(password.utf8.count <= PasswordPolicy.maxBytes, "PasswordPolicy refuses this password")
        let salt = SecureRandom.bytes(Self.saltByteCount)
        guard let hash = Self.derive(password, salt: salt, parameters: parameters, byteCount: Self.hashByteCount) else {
            preconditionFailure("OpenSSL refused scrypt parameters \(parameters) within the limits")
        }
        return "$scrypt$\(parameters)$" + BaseNEncoding.base64.encode(salt, padded: false) + "$"
            + BaseNEncoding.base64.encode(hash, padded: false)
    }

    /// Whether `password` matches the stored `encoded` hash, compared in constant time. A
    /// malformed value, or parameters beyond the limits, never match.
    public func verify(_ password: String, against encoded: String) -> Bool {
        guard password.utf8.count <= PasswordPolicy.maxBytes, let stored = StoredHash(encoded),
              let hash = Self.derive(password, salt: stored.salt, parameters: stored.parameters,
                                     byteCount: stored.hash.count)
        else { return false }
        return OpenSSLCrypto.constantTimeEqual(hash, stored.hash)
    }

    /// Whether `encoded` should be replaced by a new hash at the next successful login: it is
    /// malformed, or any parameter or length is below this hasher's.
    public func needsRehash(_ encoded: String) -> Bool {
        guard let stored = StoredHash(encoded) else { return true }
        return stored.parameters.log2Cost < parameters.log2Cost || stored.parameters.blockSize < parameters.blockSize
            || stored.parameters.parallelism < parameters.parallelism
            || stored.salt.count < Self.saltByteCount || stored.hash.count < Self.hashByteCount
    }

    private static func derive(_ password: String, salt: [UInt8], parameters: ScryptParameters,
                               byteCount: Int) -> [UInt8]? {
        OpenSSLCrypto.scrypt(password: Array(password.utf8), salt: salt, log2Cost: parameters.log2Cost,
                             blockSize: parameters.blockSize, parallelism: parameters.parallelism,
                             maxMemoryBytes: parameters.memoryBytes, outputByteCount: byteCount)
    }
}

/// A parsed PHC scrypt string, every part within `PasswordHasher`'s limits.
private struct StoredHash {
    let parameters: ScryptParameters
    let salt: [UInt8]
    let hash: [UInt8]

    init?(_ encoded: String) {
        guard encoded.utf8.count <= PasswordHasher.maxEncodedBytes else { return nil }
        let fields = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0].isEmpty, fields[1] == "scrypt" else { return nil }
        let values = fields[2].split(separator: ",", omittingEmptySubsequences: false)
        guard values.count == 3,
              let log2Cost = Self.parameter("ln", values[0]), let blockSize = Self.parameter("r", values[1]),
              let parallelism = Self.parameter("p", values[2]),
              let parameters = ScryptParameters(stored: log2Cost, blockSize: blockSize, parallelism: parallelism),
              let salt = BaseNEncoding.base64.decode(fields[3]), PasswordHasher.storedByteCounts.contains(salt.count),
              let hash = BaseNEncoding.base64.decode(fields[4]), PasswordHasher.storedByteCounts.contains(hash.count)
        else { return nil }
        self.parameters = parameters
        self.salt = salt
        self.hash = hash
    }

    /// The value of `name=digits`: one to three decimal digits, no sign, no leading zero.
    private static func parameter(_ name: String, _ text: Substring) -> Int? {
        guard text.hasPrefix(name + "=") else { return nil }
        let digits = text.utf8.dropFirst(name.utf8.count + 1)
        guard (1 ... 3).contains(digits.count), digits.first != UInt8(ascii: "0"),
              digits.allSatisfy({ (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains($0) })
        else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }
}
