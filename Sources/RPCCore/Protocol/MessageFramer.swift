/// Writes gRPC's length-prefixed messages: a compressed-flag byte, a 4-byte big-endian length,
/// then the payload (see "Length-Prefixed-Message" in gRPC's PROTOCOL-HTTP2.md).
public struct MessageFramer {
    /// The size of the prefix before each message.
    public static let prefixBytes = 5
    /// The largest payload the 4-byte length can describe.
    public static let maxPayloadBytes = Int(UInt32.max)

    /// A framed message, its payload compressed when a compressor is given.
    public static func frame(_ message: [UInt8], compressor: GzipCompressor?) throws -> [UInt8] {
        var buffer = [UInt8]()
        buffer.reserveCapacity(prefixBytes + message.count)
        try frame(message, compressor: compressor, appendingTo: &buffer)
        return buffer
    }

    /// Appends a framed message to `buffer`, its payload compressed when a compressor is given.
    /// On error `buffer` is left as it was.
    public static func frame(_ message: [UInt8], compressor: GzipCompressor?,
                             appendingTo buffer: inout [UInt8]) throws {
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: prefixBytes))
        if let compressor {
            do {
                try message.withUnsafeBytes { try compressor.compress($0, appendingTo: &buffer) }
            } catch {
                buffer.removeSubrange(start...)
                throw error
            }
        } else {
            buffer.append(contentsOf: message)
        }
        let payloadBytes = buffer.count - start - prefixBytes
        guard payloadBytes <= maxPayloadBytes else {
            buffer.removeSubrange(start...)
            throw FramingError.messageTooLarge(declared: payloadBytes, limit: maxPayloadBytes)
        }
        writePrefix(compressed: compressor != nil, payloadBytes: payloadBytes, into: &buffer, at: start)
    }

    /// Fills in the prefix reserved at `start` for a payload of `payloadBytes` that follows it.
    public static func writePrefix(compressed: Bool, payloadBytes: Int, into buffer: inout [UInt8], at start: Int) {
        precondition(payloadBytes <= maxPayloadBytes, "a gRPC message payload is at most 4 GiB")
        let length = UInt32(payloadBytes)
        buffer[start] = compressed ? 1 : 0
        buffer[start + 1] = UInt8(truncatingIfNeeded: length >> 24)
        buffer[start + 2] = UInt8(truncatingIfNeeded: length >> 16)
        buffer[start + 3] = UInt8(truncatingIfNeeded: length >> 8)
        buffer[start + 4] = UInt8(truncatingIfNeeded: length)
    }
}
