import CNGHTTP2
import RPCCore

/// One outgoing call on one HTTP/2 stream. Its state is confined to the channel's event loop;
/// the caller's task reaches it through `ClientCallStream`, whose methods run their work on the
/// loop and resume the caller from there.
///
/// A call the server refused unprocessed (GOAWAY, REFUSED_STREAM) is replayed on another
/// connection, headers and request bytes alike, as long as it kept those bytes.
final class ClientStream: ResponseMessageReceiving, @unchecked Sendable {
    let channel: GRPCChannel
    let method: MethodDescriptor
    /// When the call's deadline passes, if it has one.
    let deadline: ContinuousClock.Instant?
    private let headerFields: [(name: String, value: String)]
    /// How request messages are compressed: what the call asked for, or nil (identity) when the
    /// connection's server said it does not accept that. Settled by the first request headers or
    /// the first message, whichever comes first, and then kept, replays included, so that the
    /// `grpc-encoding` header always matches the bytes.
    private var requestEncoding: CompressionAlgorithm?
    private var requestEncodingSettled = false
    private let observer: CallObserver?
    /// Whether this call counts toward the channel's calls in progress (attempts of a unary
    /// call do not: the unary call counts once).
    private let countsAsCall: Bool
    private var core: ChannelCore { channel.core }
    private var loop: EventLoop { channel.loop }
    private var configuration: ChannelConfiguration { channel.configuration }

    // Transport (loop thread).
    private var connection: ClientConnection?
    private var streamID: Int32?
    /// The connection whose receive window the queued messages' credit belongs to; kept after
    /// the stream closes so that credit still returns to the connection.
    private var creditConnection: ClientConnection?
    private var transparentRetries = 0
    private var deadlineTimer: TimerID?

    // Request (loop thread).
    private var outbound: [UInt8] = []
    private var outboundOffset = 0
    /// Whether every request byte since the start is still held, so the call can be replayed.
    private var replayable = true
    private var sendClosed = false
    private var endStreamSent = false
    private var bodyDeferred = false
    private var sendWaiters: [CheckedContinuation<Void, any Error>] = []

    // Response (loop thread).
    private var block: ResponseHeaderBlock
    private var responseHeadersReceived = false
    private var trailersOnly = false
    private var httpStatus: Int?
    private var responseEncoding: String?
    private var initialMetadata: Metadata?
    private var metadataWaiters: [CheckedContinuation<Metadata, any Error>] = []
    private var inbound: InboundMessageQueue
    private var receiveWaiter: CheckedContinuation<ReceivedMessage?, any Error>?
    /// The call's status, once known; it never changes after.
    private(set) var finalStatus: Status?
    private var statusWaiters: [CheckedContinuation<Status, Never>] = []

    init(channel: GRPCChannel, method: MethodDescriptor, headerFields: [(name: String, value: String)],
         options: CallOptions, deadline: ContinuousClock.Instant?, observer: CallObserver?, countsAsCall: Bool) {
        self.channel = channel
        self.method = method
        self.headerFields = headerFields
        self.requestEncoding = options.compression == .gzip ? .gzip : nil
        self.deadline = deadline
        self.observer = observer
        self.countsAsCall = countsAsCall
        self.block = ResponseHeaderBlock(maxBytes: Int(channel.configuration.http2.maxHeaderListBytes))
        self.inbound = InboundMessageQueue(maxMessageBytes: channel.configuration.maxReceiveMessageBytes)
    }

    // MARK: Starting (loop thread)

    /// The request headers, with the time left before the deadline as `grpc-timeout`.
    /// `serverAcceptedEncodings` is what the connection's server accepts, when it told us.
    func requestHeaders(scheme: String, authority: String, serverAcceptedEncodings: Set<String>?) -> HTTP2HeaderBlock {
        settleRequestEncoding(serverAcceptedEncodings: serverAcceptedEncodings)
        var headers = HTTP2HeaderBlock()
        headers.add(":method", "POST")
        headers.add(":scheme", scheme)
        headers.add(":path", method.path)
        headers.add(":authority", authority)
        headers.add("content-type", "application/grpc")
        headers.add("te", "trailers")
        headers.add("user-agent", configuration.userAgent)
        if let deadline {
            headers.add("grpc-timeout", GRPCTimeout.encode(deadline - .now))
        }
        if requestEncoding == .gzip { headers.add("grpc-encoding", "gzip") }
        headers.add("grpc-accept-encoding", "identity,gzip")
        for field in headerFields { headers.add(field.name, field.value) }
        return headers
    }

    /// gRPC's compression doc: a client that knows the server's `grpc-accept-encoding` must not
    /// compress with an encoding missing from it. Not knowing yet, it compresses as asked.
    private func settleRequestEncoding(serverAcceptedEncodings: Set<String>?) {
        guard !requestEncodingSettled else { return }
        requestEncodingSettled = true
        if let encoding = requestEncoding, let accepted = serverAcceptedEncodings,
           !accepted.contains(encoding.rawValue) {
            requestEncoding = nil
        }
    }

    /// Starts the local deadline: when it passes the stream is reset and the call ends with
    /// DEADLINE_EXCEEDED, whatever the server does.
    func armDeadline() {
        guard let deadline, deadlineTimer == nil, finalStatus == nil else { return }
        deadlineTimer = loop.scheduleTimer(at: deadline) { [self] in
            deadlineTimer = nil
            abort(Status(.deadlineExceeded, "deadline exceeded (the call's timeout passed before it finished)"))
        }
    }

    /// The stream now lives on `connection` as `streamID`.
    func attached(to connection: ClientConnection, streamID: Int32) {
        loop.assertInEventLoop()
        self.connection = connection
        self.streamID = streamID
        self.creditConnection = connection
    }

    /// Ends the call before it reached a connection.
    func fail(_ status: Status) {
        finish(status)
    }

    // MARK: Request body (loop thread)

    /// Supplies request bytes to nghttp2; the end of the body carries END_STREAM.
    func readBody(into buffer: UnsafeMutableRawBufferPointer) -> HTTP2BodyChunk {
        let available = outbound.count - outboundOffset
        var count = 0
        if available > 0 {
            count = min(available, buffer.count)
            outbound.withUnsafeBytes { raw in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[outboundOffset..<(outboundOffset + count)]))
            }
            outboundOffset += count
            if !replayable && outboundOffset == outbound.count {
                outbound.removeAll(keepingCapacity: outbound.capacity <= 64 * 1024)
                outboundOffset = 0
            }
            if pendingOutboundBytes <= configuration.maxOutboundBytesPerCall / 2 { resumeSenders() }
        }
        if outboundOffset == outbound.count && sendClosed {
            endStreamSent = true
            return .end(count, trailers: nil)
        }
        if count == 0 {
            bodyDeferred = true
            return .deferred
        }
        return .bytes(count)
    }

    private var pendingOutboundBytes: Int { outbound.count - outboundOffset }

    /// Tells nghttp2 that body bytes (or the end of the body) are ready.
    private func wakeBody() {
        guard bodyDeferred, let connection, let streamID else { return }
        bodyDeferred = false
        connection.session.resumeBody(streamID: streamID)
        connection.scheduleFlush()
    }

    /// Stops keeping sent bytes for a replay: past the limit, or once the server has answered.
    private func dropReplayBuffer() {
        guard replayable else { return }
        replayable = false
        if outboundOffset > 0 {
            outbound.removeSubrange(..<outboundOffset)
            outboundOffset = 0
        }
    }

    private func resumeSenders() {
        let waiters = sendWaiters
        sendWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
    }

    private func enqueue(_ message: [UInt8], compressed: Bool) throws(Status) -> Bool {
        if let finalStatus {
            // The server ended the call early: with OK the rest of the requests are moot.
            if finalStatus.code == .ok { return false }
            throw finalStatus
        }
        guard !sendClosed else {
            throw Status(.failedPrecondition, "send after closeSend: the request stream is already closed")
        }
        guard message.count <= configuration.maxSendMessageBytes else {
            let status = Status(.resourceExhausted,
                                "request message of \(message.count) bytes exceeds the limit of \(configuration.maxSendMessageBytes) bytes")
            abort(status)
            throw status
        }
        settleRequestEncoding(serverAcceptedEncodings: nil)
        let compressor = compressed && requestEncoding == .gzip ? core.gzipCompressor : nil
        do {
            try MessageFramer.frame(message, compressor: compressor, appendingTo: &outbound)
        } catch {
            let status = Status(.internalError, "cannot frame the request message: \(error)")
            abort(status)
            throw status
        }
        if replayable && outbound.count > configuration.maxReplayBytesPerCall { dropReplayBuffer() }
        wakeBody()
        return pendingOutboundBytes > configuration.maxOutboundBytesPerCall
    }

    // MARK: Response (loop thread)

    func beginHeaders() {
        block = ResponseHeaderBlock(maxBytes: Int(configuration.http2.maxHeaderListBytes))
    }

    func header(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        block.add(name: name, value: value)
    }

    func headersComplete(isTrailers: Bool, endStream: Bool) {
        guard finalStatus == nil else { return }
        guard !block.overflowed else {
            abort(Status(.resourceExhausted,
                         "response headers exceed the limit of \(configuration.http2.maxHeaderListBytes) bytes"))
            return
        }
        if let accepted = block.acceptEncoding { connection?.recordServerAcceptEncoding(accepted) }
        if responseHeadersReceived || isTrailers {
            finishWithTrailers(httpStatus: httpStatus)
            return
        }
        if block.isInformational { return }
        dropReplayBuffer()
        if endStream {
            // Trailers-Only: one block holds the status and everything else.
            trailersOnly = true
            finishWithTrailers(httpStatus: block.httpStatus)
            return
        }
        responseHeadersReceived = true
        httpStatus = block.httpStatus
        guard block.httpStatus == 200 else {
            let code = block.httpStatus.map { Status.Code(httpStatus: $0) } ?? .internalError
            abort(Status(code, "the server answered with HTTP status \(block.httpStatus.map(String.init) ?? "(none)"), not 200"))
            return
        }
        if let contentType = block.contentType, !contentType.hasPrefix("application/grpc") {
            abort(Status(.unknown, "the server answered with content-type \(contentType), not application/grpc"))
            return
        }
        responseEncoding = block.encoding
        let metadata = block.metadata
        initialMetadata = metadata
        let waiters = metadataWaiters
        metadataWaiters.removeAll()
        for waiter in waiters { waiter.resume(returning: metadata) }
    }

    private func finishWithTrailers(httpStatus: Int?) {
        let status = block.status(httpStatus: httpStatus)
        finish(status)
        closeOurSide()
    }

    /// The server has ended its side; if ours is still open (requests not all sent), close it
    /// so the stream does not linger.
    private func closeOurSide() {
        guard !endStreamSent, let connection, let streamID else { return }
        connection.session.resetStream(streamID: streamID, errorCode: NGHTTP2_NO_ERROR.rawValue)
        connection.scheduleFlush()
    }

    /// A chunk of response DATA; credit returns as `InboundMessageQueue` says (as the caller takes
    /// messages), so a slow reader slows the server.
    func receiveData(_ bytes: UnsafeRawBufferPointer, on connection: ClientConnection, streamID: Int32) {
        guard finalStatus == nil else {
            connection.session.consume(streamID: streamID, count: bytes.count)
            return
        }
        do {
            returnCredit(try inbound.append(bytes))
        } catch {
            returnCredit(inbound.releaseAll())
            abort(Status(framingError: error, in: "response"))
            return
        }
        deliverIfWaiting()
    }

    /// Returns flow-control credit: on the stream while it is open, else on the connection
    /// (a closed stream's bytes still count against the connection window).
    private func returnCredit(_ bytes: Int) {
        guard bytes > 0, let creditConnection else { return }
        if let streamID {
            creditConnection.session.consume(streamID: streamID, count: bytes)
        } else {
            creditConnection.session.consumeConnection(count: bytes)
        }
        creditConnection.scheduleFlush()
    }

    /// The server ended the stream on a DATA frame, without trailers.
    func dataEndStream() {
        guard finalStatus == nil else { return }
        if inbound.hasPartialMessage {
            abort(Status(.internalError, "the response ended inside a message"))
            return
        }
        if let httpStatus, httpStatus != 200 {
            finish(Status(Status.Code(httpStatus: httpStatus), "HTTP status \(httpStatus) without grpc-status"))
        } else {
            finish(Status(.internalError, "the server ended the stream without trailers (no grpc-status)"))
        }
        closeOurSide()
    }

    /// The HTTP/2 stream closed; `errorCode` is the reset or GOAWAY code, 0 when orderly.
    func streamClosed(errorCode: UInt32) {
        connection = nil
        streamID = nil
        guard finalStatus == nil else { return }
        if errorCode == NGHTTP2_REFUSED_STREAM.rawValue && !responseHeadersReceived && replayable
            && transparentRetries < configuration.maxTransparentRetries {
            // Never processed by the server: replay it on a connection that takes new streams.
            transparentRetries += 1
            outboundOffset = 0
            bodyDeferred = false
            endStreamSent = false
            inbound = InboundMessageQueue(maxMessageBytes: configuration.maxReceiveMessageBytes)
            loop.executeLocal { [self] in core.start(self) }
            return
        }
        finish(ResetStatus.status(forHTTP2ErrorCode: errorCode))
    }

    /// The connection closed under the call.
    func connectionLost(_ reason: String) {
        connection = nil
        streamID = nil
        guard finalStatus == nil else { return }
        finish(Status(.unavailable, reason))
    }

    // MARK: Taking messages (loop thread)

    private func deliverIfWaiting() {
        guard let waiter = receiveWaiter else { return }
        if inbound.hasMessage {
            receiveWaiter = nil
            do {
                waiter.resume(returning: try takeInbound())
            } catch {
                waiter.resume(throwing: error)
            }
        } else if let finalStatus {
            receiveWaiter = nil
            if finalStatus.code == .ok {
                waiter.resume(returning: nil)
            } else {
                waiter.resume(throwing: finalStatus)
            }
        }
    }

    private func takeInbound() throws(Status) -> ReceivedMessage {
        guard let (message, credit) = inbound.take() else { preconditionFailure("takeInbound without a message") }
        returnCredit(credit)
        guard message.compressed else { return ReceivedMessage(bytes: message.payload, wasCompressed: false) }
        guard responseEncoding == "gzip" else {
            let status = Status(.internalError,
                                "a response message is compressed but the response grpc-encoding is \(responseEncoding ?? "absent")")
            abort(status)
            throw status
        }
        do {
            let bytes = try core.gzipDecompressor.decompress(message.payload, maxOutputBytes: configuration.maxReceiveMessageBytes)
            return ReceivedMessage(bytes: bytes, wasCompressed: true)
        } catch CompressionError.outputTooLarge(let limit) {
            let status = Status(.resourceExhausted, "decompressed response message exceeds the limit of \(limit) bytes")
            abort(status)
            throw status
        } catch {
            let status = Status(.internalError, "cannot decompress a response message: \(error)")
            abort(status)
            throw status
        }
    }

    // MARK: Ending (loop thread)

    /// Ends the call locally: resets the stream (CANCEL), drops what was received, reports `status`.
    func abort(_ status: Status) {
        guard finalStatus == nil else { return }
        if let connection, let streamID {
            connection.session.resetStream(streamID: streamID, errorCode: NGHTTP2_CANCEL.rawValue)
            connection.scheduleFlush()
        }
        if let creditConnection {
            let held = inbound.releaseAll()
            if held > 0 { creditConnection.session.consumeConnection(count: held) }
        }
        finish(status)
    }

    /// Records the final status once and wakes everything that waits on the call.
    private func finish(_ status: Status) {
        guard finalStatus == nil else { return }
        finalStatus = status
        if let timer = deadlineTimer {
            loop.cancelTimer(timer)
            deadlineTimer = nil
        }
        dropReplayBuffer()
        let metadataWaiters = self.metadataWaiters
        self.metadataWaiters.removeAll()
        for waiter in metadataWaiters { resumeMetadataWaiter(waiter) }
        deliverIfWaiting()
        let statusWaiters = self.statusWaiters
        self.statusWaiters.removeAll()
        for waiter in statusWaiters { waiter.resume(returning: status) }
        let sendWaiters = self.sendWaiters
        self.sendWaiters.removeAll()
        for waiter in sendWaiters {
            if status.code == .ok { waiter.resume() } else { waiter.resume(throwing: status) }
        }
        if countsAsCall { channel.callEnded() }
        if let observer, !observer.isEmpty {
            Task { await observer.report(status) }
        }
    }

    private func resumeMetadataWaiter(_ waiter: CheckedContinuation<Metadata, any Error>) {
        if let initialMetadata {
            waiter.resume(returning: initialMetadata)
        } else if let finalStatus {
            // Trailers-Only: an OK call simply had no response headers of its own.
            if finalStatus.code == .ok && trailersOnly {
                waiter.resume(returning: Metadata())
            } else {
                waiter.resume(throwing: finalStatus)
            }
        } else {
            metadataWaiters.append(waiter)
        }
    }

    // MARK: ClientCallStream (any thread)

    func send(_ message: [UInt8], compressed: Bool) async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                loop.execute { [self] in
                    do {
                        if try enqueue(message, compressed: compressed) {
                            sendWaiters.append(continuation)
                        } else {
                            continuation.resume()
                        }
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
        } onCancel: {
            cancelFromTask()
        }
    }

    func closeSend() async throws {
        loop.execute { [self] in
            guard !sendClosed else { return }
            sendClosed = true
            wakeBody()
        }
    }

    func initialMetadata() async throws -> Metadata {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                loop.execute { [self] in resumeMetadataWaiter(continuation) }
            }
        } onCancel: {
            cancelFromTask()
        }
    }

    func receive() async throws -> [UInt8]? {
        try await receiveMessage()?.bytes
    }

    func receiveMessage() async throws -> ReceivedMessage? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                loop.execute { [self] in
                    guard receiveWaiter == nil else {
                        continuation.resume(throwing: Status(.failedPrecondition, "another receive is already waiting on this call"))
                        return
                    }
                    receiveWaiter = continuation
                    deliverIfWaiting()
                }
            }
        } onCancel: {
            cancelFromTask()
        }
    }

    func status() async -> Status {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                loop.execute { [self] in
                    if let finalStatus {
                        continuation.resume(returning: finalStatus)
                    } else {
                        statusWaiters.append(continuation)
                    }
                }
            }
        } onCancel: {
            cancelFromTask()
        }
    }

    func cancel() {
        loop.execute { [self] in abort(Status(.cancelled, "the call was cancelled by the client")) }
    }

    private func cancelFromTask() {
        loop.execute { [self] in abort(Status(.cancelled, "the task waiting on the call was cancelled")) }
    }
}
