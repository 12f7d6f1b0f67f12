/// scrypt's cost parameters (RFC 7914 §2): N = 2^`log2Cost`, r = `blockSize`, p = `parallelism`.
public struct ScryptParameters: Sendable, Hashable, CustomStringConvertible {
    /// OWASP's Password Storage Cheat Sheet: N = 2^17, r = 8, p = 1 (128 MiB, about 0.3 s here).
    public static let owaspRecommended = ScryptParameters(log2Cost: 17, blockSize: 8, parallelism: 1)

    /// Largest log2(N) accepted, from a stored hash too.
    public static let maxLog2Cost = 20
    /// Largest r accepted.
    public static let maxBlockSize = 16
    /// Largest p accepted: OpenSSL runs the p lanes one after another, so p multiplies the time.
    public static let maxParallelism = 4
    /// Most memory one hash may take, so a stored value cannot make a login allocate gigabytes.
    public static let maxMemoryBytes = 256 * 1024 * 1024

    /// log2 of N, the CPU and memory cost (PHC `ln`).
    public let log2Cost: Int
    /// r, the block size in 128-byte units.
    public let blockSize: Int
    /// p, the number of independent lanes.
    public let parallelism: Int

    /// Parameters within the named limits; anything else is a programming error.
    public init(log2Cost: Int, blockSize: Int, parallelism: Int) {
        self.init(unchecked: log2Cost, blockSize, parallelism)
        precondition(isWithinLimits, "scrypt parameters \(self) exceed ScryptParameters' limits")
    }

    /// Parameters read from a stored hash; nil when they exceed the limits.
    init?(stored log2Cost: Int, blockSize: Int, parallelism: Int) {
        self.init(unchecked: log2Cost, blockSize, parallelism)
        guard isWithinLimits else { return nil }
    }

    private init(unchecked log2Cost: Int, _ blockSize: Int, _ parallelism: Int) {
        self.log2Cost = log2Cost
        self.blockSize = blockSize
        self.parallelism = parallelism
    }

    /// What OpenSSL allocates for one hash: 128·r·(N + 2) bytes for V plus 128·r·p for B.
    public var memoryBytes: Int {
        128 * blockSize * ((1 << log2Cost) + 2) + 128 * blockSize * parallelism
    }

    /// The PHC parameter string, e.g. `ln=17,r=8,p=1`.
    public var description: String { "ln=\(log2Cost),r=\(blockSize),p=\(parallelism)" }

    /// Each parameter in range first, so `memoryBytes` cannot overflow.
    private var isWithinLimits: Bool {
        (1 ... Self.maxLog2Cost).contains(log2Cost) && (1 ... Self.maxBlockSize).contains(blockSize)
            && (1 ... Self.maxParallelism).contains(parallelism) && memoryBytes <= Self.maxMemoryBytes
    }
}
