/// The received messages of one gRPC stream, with the flow-control credit owed for them.
///
/// Credit for a complete message is returned only when the application takes it, so a slow
/// reader slows its sender. The message still being assembled is credited while no complete
/// message waits (the reader is keeping up): a message may be larger than the stream window and
/// must be able to complete. A stream therefore holds at most its window plus one message.
/// Every method returns the credit to hand back now (`nghttp2_session_consume`).
public struct InboundMessageQueue {
    private typealias Entry = (message: FramedMessage, uncreditedBytes: Int)
    private var deframer: MessageDeframer
    /// The oldest complete message, kept out of `messages` so that a stream that never holds more
    /// than one (every unary call) needs no array.
    private var first: Entry?
    /// Complete messages after `first`, from `head` on.
    private var messages: [Entry] = []
    private var head = 0
    /// Bytes of the incomplete message whose credit went back early, and still held.
    private var partialCreditedBytes = 0
    private var partialUncreditedBytes = 0

    /// A queue refusing messages over `maxMessageBytes`.
    public init(maxMessageBytes: Int) {
        deframer = MessageDeframer(maxMessageBytes: maxMessageBytes)
    }

    /// Whether a complete message is waiting.
    public var hasMessage: Bool { first != nil }
    /// Whether the bytes received end inside a message.
    public var hasPartialMessage: Bool { deframer.hasPartialMessage }
    /// Bytes held, complete and partial.
    public var bufferedBytes: Int {
        deframer.bufferedBytes + (first?.message.wireBytes ?? 0) + messages[head...].reduce(0) { $0 + $1.message.wireBytes }
    }

    /// Takes a DATA chunk. On a framing error the caller ends the stream and returns the
    /// credit of everything held (`releaseAll`).
    public mutating func append(_ bytes: UnsafeRawBufferPointer) throws(FramingError) -> Int {
        deframer.append(bytes)
        var uncredited = partialUncreditedBytes + bytes.count
        var completedAny = false
        do {
            while let message = try deframer.next() {
                let messageUncredited = message.wireBytes - (completedAny ? 0 : partialCreditedBytes)
                completedAny = true
                uncredited -= messageUncredited
                if first == nil { first = (message, messageUncredited) } else { messages.append((message, messageUncredited)) }
            }
        } catch {
            partialUncreditedBytes = uncredited
            throw error
        }
        if completedAny { partialCreditedBytes = 0 }
        partialUncreditedBytes = uncredited
        return creditPartialMessageIfIdle()
    }

    /// Takes the next complete message with the credit now owed for it.
    public mutating func take() -> (message: FramedMessage, credit: Int)? {
        guard let (message, uncredited) = first else { return nil }
        if head < messages.count {
            first = messages[head]
            head += 1
            if head == messages.count {
                messages.removeAll(keepingCapacity: true)
                head = 0
            }
        } else {
            first = nil
        }
        return (message, uncredited + creditPartialMessageIfIdle())
    }

    /// Drops everything held and returns its credit (the stream has ended or failed).
    public mutating func releaseAll() -> Int {
        let credit = (first?.uncreditedBytes ?? 0) + messages[head...].reduce(0) { $0 + $1.uncreditedBytes }
            + partialUncreditedBytes
        first = nil
        messages.removeAll()
        head = 0
        partialUncreditedBytes = 0
        partialCreditedBytes = 0
        return credit
    }

    private mutating func creditPartialMessageIfIdle() -> Int {
        guard first == nil, partialUncreditedBytes > 0 else { return 0 }
        let credit = partialUncreditedBytes
        partialCreditedBytes += credit
        partialUncreditedBytes = 0
        return credit
    }
}
