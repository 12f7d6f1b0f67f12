/// Moves serialized frames from an HTTP/2 session to its socket, in batches, without letting a
/// peer that does not read make us buffer without bound. One per connection, on its loop.
public struct HTTP2FrameWriter {
    /// Bytes serialized per socket write: enough to batch many small responses into one write.
    public static let chunkBytes = 64 * 1024
    /// Unwritten bytes above which no more frames are serialized and reading pauses until the
    /// peer reads (so queued PING/SETTINGS acknowledgements cannot pile up either).
    public static let maxPendingOutputBytes = 512 * 1024

    private var output: [UInt8] = []

    public init() {}

    /// Writes what the session has queued; closes the channel when the session has failed, or
    /// when it has ended (GOAWAY exchanged, no streams) and everything is written.
    public mutating func flush(_ session: HTTP2Session, to channel: SocketChannel) {
        guard channel.isActive else { return }
        while channel.pendingOutputBytes < Self.maxPendingOutputBytes {
            output.removeAll(keepingCapacity: true)
            do {
                try session.produceOutput(into: &output, limit: Self.chunkBytes)
            } catch {
                channel.close(error: "HTTP/2 session failed: \(error)")
                return
            }
            guard !output.isEmpty else { break }
            output.withUnsafeBytes { channel.write($0) }
            guard channel.isOpen else { return }
        }
        if channel.pendingOutputBytes >= Self.maxPendingOutputBytes {
            channel.setReadingPaused(true)
        }
        if !session.isAlive && channel.pendingOutputBytes == 0 {
            channel.close()
        }
    }
}
