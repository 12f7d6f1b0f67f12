/// Reads gRPC's length-prefixed messages from a byte stream that arrives in pieces of any size.
///
/// Feed it with `append(_:)` as DATA frames arrive and drain it with `next()` until that returns
/// nil. Every prefix is checked as soon as its 5 bytes are in: a message declaring more than
/// `maxMessageBytes`, or a bad compressed flag, stops the deframer before any of that message's
/// body is stored, and `next()` throws once the messages before it have been handed out.
/// Not thread-safe: one deframer belongs to one stream on one event loop.
public struct MessageDeframer {
    /// The largest payload accepted, in bytes (after the prefix, before decompression).
    public let maxMessageBytes: Int

    /// Received bytes; those before `readIndex` were already handed out.
    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// Offset in `buffer` of the first message prefix not yet validated; may lie beyond `buffer.count`.
    private var nextPrefixOffset = 0
    /// Set once an invalid prefix was buffered: nothing after it is accepted.
    private var rejectsInput = false

    /// A buffer this large is released, not kept, once it empties (a big message passed through).
    private static let retainedCapacityBytes = 64 * 1024

    /// A deframer refusing messages over `maxMessageBytes`.
    public init(maxMessageBytes: Int) {
        precondition(maxMessageBytes >= 0, "maxMessageBytes must not be negative")
        self.maxMessageBytes = maxMessageBytes
    }

    /// The bytes held: messages not yet taken with `next()` and the start of an incomplete one.
    public var bufferedBytes: Int { buffer.count - readIndex }

    /// Whether the bytes held end inside a message, i.e. `next()` would return nil with bytes left.
    public var hasPartialMessage: Bool {
        let available = bufferedBytes
        guard available > 0 else { return false }
        guard available >= MessageFramer.prefixBytes else { return true }
        return available < MessageFramer.prefixBytes + declaredLength(at: readIndex)
    }

    /// The bytes of the incomplete message held (its prefix included), 0 when there is none.
    /// Meaningful once `next()` has returned nil.
    public var partialMessageBytesBuffered: Int { hasPartialMessage ? bufferedBytes : 0 }

    /// Adds received bytes.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty, !rejectsInput else { return }
        compact()
        // Validate each prefix that becomes complete with these bytes, before storing them.
        var keptBytes = bytes.count
        let totalBytes = buffer.count + bytes.count
        while nextPrefixOffset + MessageFramer.prefixBytes <= totalBytes {
            let offset = nextPrefixOffset
            func byte(_ index: Int) -> UInt8 {
                index < buffer.count ? buffer[index] : bytes[index - buffer.count]
            }
            let flag = byte(offset)
            let length = Int(byte(offset + 1)) << 24 | Int(byte(offset + 2)) << 16
                | Int(byte(offset + 3)) << 8 | Int(byte(offset + 4))
            if flag > 1 || length > maxMessageBytes {
                // Keep the bad prefix itself so `next()` reports it in order; drop its body.
                keptBytes = offset + MessageFramer.prefixBytes - buffer.count
                rejectsInput = true
                break
            }
            nextPrefixOffset = offset + MessageFramer.prefixBytes + length
        }
        bytes.withMemoryRebound(to: UInt8.self) { buffer.append(contentsOf: $0[..<keptBytes]) }
    }

    /// The next complete message, or nil until more bytes arrive.
    public mutating func next() throws(FramingError) -> FramedMessage? {
        let available = bufferedBytes
        guard available >= MessageFramer.prefixBytes else { return nil }
        let flag = buffer[readIndex]
        guard flag <= 1 else { throw .invalidCompressionFlag(flag) }
        let length = declaredLength(at: readIndex)
        guard length <= maxMessageBytes else {
            throw .messageTooLarge(declared: length, limit: maxMessageBytes)
        }
        guard available >= MessageFramer.prefixBytes + length else { return nil }
        let start = readIndex + MessageFramer.prefixBytes
        if readIndex == 0 && start + length == buffer.count && buffer.capacity <= Self.retainedCapacityBytes {
            // The buffer holds exactly this message (a unary request, usually): hand the buffer
            // itself over, prefix dropped in place, rather than copying the payload out.
            var payload = buffer
            buffer = []
            payload.removeFirst(MessageFramer.prefixBytes)
            nextPrefixOffset = 0
            return FramedMessage(compressed: flag == 1, payload: payload)
        }
        let payload = Array(buffer[start ..< start + length])
        readIndex = start + length
        if readIndex == buffer.count { compact() }
        return FramedMessage(compressed: flag == 1, payload: payload)
    }

    /// Checks the stream may end here: throws `.truncated` when an incomplete message is held.
    /// Call it at end of stream after draining `next()`.
    public func finish() throws(FramingError) {
        if hasPartialMessage { throw .truncated }
    }

    private func declaredLength(at offset: Int) -> Int {
        Int(buffer[offset + 1]) << 24 | Int(buffer[offset + 2]) << 16
            | Int(buffer[offset + 3]) << 8 | Int(buffer[offset + 4])
    }

    /// Drops handed-out bytes. Each byte moves at most once, so many small messages in one
    /// append cost O(n), not O(n²).
    private mutating func compact() {
        guard readIndex > 0 else { return }
        if readIndex == buffer.count {
            if buffer.capacity > Self.retainedCapacityBytes {
                buffer = []
            } else {
                buffer.removeAll(keepingCapacity: true)
            }
        } else {
            buffer.removeSubrange(..<readIndex)
        }
        nextPrefixOffset -= readIndex
        readIndex = 0
    }
}
