/// Why a message could not be compressed or decompressed.
public enum CompressionError: Error, Equatable, CustomStringConvertible {
    /// The decompressed message would exceed the receiver's limit (maps to `RESOURCE_EXHAUSTED`).
    case outputTooLarge(limit: Int)
    /// The compressed bytes are not valid gzip data (maps to `INTERNAL`).
    case corrupt(String)
    /// The input is larger than zlib can take in one call (4 GiB).
    case inputTooLarge(Int)
    /// zlib refused to compress (an internal error, e.g. out of memory).
    case compressionFailed(Int32)

    public var description: String {
        switch self {
        case .outputTooLarge(let limit): "decompressed message exceeds the limit of \(limit) bytes"
        case .corrupt(let reason): "corrupt gzip data: \(reason)"
        case .inputTooLarge(let bytes): "input of \(bytes) bytes is too large to compress in one call"
        case .compressionFailed(let code): "zlib deflate failed with code \(code)"
        }
    }
}
