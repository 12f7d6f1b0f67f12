import CNGHTTP2
import Glibc
import RPCCore

/// One incoming gRPC call on one HTTP/2 stream. Its state is confined to the connection's event
/// loop; the handler (a Swift task) reaches it through `ServerCallStream`, whose methods hop to
/// the loop when they are not already on it.
final class ServerStream: ServerCallStream, @unchecked Sendable {
    let id: Int32
    let connection: ServerConnection
    var loop: EventLoop { connection.loop }

    // Request head, filled while headers arrive.
    var path: String?
    /// Whether `:method` is POST; otherwise the method, for the error message.
    var isPost = false
    var otherMethod: String?
    /// Whether `content-type` starts with application/grpc; otherwise its value, for the error.
    var isGRPCContentType = false
    var otherContentType: String?
    var hasTrailersTE = false
    var timeoutText: String?
    var requestEncoding: String?
    var acceptsGzip = false
    var requestMetadata = Metadata()
    var headerListBytes = 0
    var headerListOverflow = false
    var invalidHeader: String?

    // Request messages.
    private var inbound: InboundMessageQueue
    private var inboundFinished = false
    private var inboundError: Status?
    private var receiveWaiter: CheckedContinuation<ReceivedMessage?, any Error>?

    // Response.
    private var outbound: [UInt8] = []
    private var outboundOffset = 0
    private var sendWaiters: [CheckedContinuation<Void, any Error>] = []
    private var responseHeadersSent = false
    private var bodyDeferred = false
    private var trailers: HTTP2HeaderBlock?
    private(set) var isFinished = false
    private(set) var isClosed = false
    private var terminalError: Status?

    // The handler.
    var context: ServerContext?
    private var method: ServerMethod?
    private var handlerPending = false
    private var task: Task<Void, Never>?
    var deadlineTimer: TimerID?

    init(id: Int32, connection: ServerConnection) {
        self.id = id
        self.connection = connection
        self.inbound = InboundMessageQueue(maxMessageBytes: connection.limits.maxReceiveMessageBytes)
    }

    // MARK: Headers (loop thread)

    /// Takes one request header; counts its size against the header-list limit (which nghttp2
    /// advertises but does not enforce). Known names are matched on their bytes: only values
    /// that are kept become Strings.
    func addHeader(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        // RFC 9113 §6.5.2: the size of a field is its name and value lengths plus 32.
        headerListBytes += name.count + value.count + 32
        if headerListBytes > Int(connection.limits.http2.maxHeaderListBytes) {
            headerListOverflow = true
            requestMetadata = Metadata()
            return
        }
        guard !headerListOverflow else { return }
        if name.first == UInt8(ascii: ":") {
            if HeaderName.matches(name, ":path") {
                path = connection.internedString(value)
            } else if HeaderName.matches(name, ":method") {
                isPost = HeaderName.matches(value, "POST")
                if !isPost { otherMethod = String(decoding: value, as: UTF8.self) }
            }
            return
        }
        switch name.count {
        case 2 where HeaderName.matches(name, "te"):
            hasTrailersTE = HeaderName.matches(value, "trailers")
            return
        case 12 where HeaderName.matches(name, "content-type"):
            isGRPCContentType = HeaderName.hasPrefix(value, "application/grpc")
            if !isGRPCContentType { otherContentType = String(decoding: value, as: UTF8.self) }
            return
        case 12 where HeaderName.matches(name, "grpc-timeout"):
            timeoutText = String(decoding: value, as: UTF8.self)
            return
        case 13 where HeaderName.matches(name, "grpc-encoding"):
            requestEncoding = String(decoding: value, as: UTF8.self)
            return
        case 20 where HeaderName.matches(name, "grpc-accept-encoding"):
            acceptsGzip = String(decoding: value, as: UTF8.self).split(separator: ",").contains { $0.trimmingSpaces == "gzip" }
            return
        default:
            break
        }
        // HTTP/2 header names arrive lower-cased (nghttp2 rejects others).
        let key = connection.internedString(name)
        let text = connection.internedString(value)
        if key.hasSuffix("-bin") {
            guard let bytes = Base64.decode(text) else {
                invalidHeader = "metadata \(key) is not valid base64"
                return
            }
            requestMetadata.add(lowercasedKey: key, value: .binary(bytes))
        } else {
            requestMetadata.add(lowercasedKey: key, value: .string(text))
        }
    }

    // MARK: Request body (loop thread)

    /// Takes a DATA chunk; credit returns as `InboundMessageQueue` says (as the handler takes messages).
    func receiveData(_ bytes: UnsafeRawBufferPointer) {
        guard !isFinished, inboundError == nil else {
            connection.session.consume(streamID: id, count: bytes.count)
            return
        }
        do {
            returnCredit(try inbound.append(bytes))
        } catch {
            returnCredit(inbound.releaseAll())
            failInbound(Status(framingError: error, in: "request"))
            return
        }
        deliverIfWaiting()
    }

    private func returnCredit(_ bytes: Int) {
        guard bytes > 0 else { return }
        connection.session.consume(streamID: id, count: bytes)
        connection.scheduleFlush()
    }

    /// The client half-closed the stream.
    func receiveEndStream() {
        inboundFinished = true
        if inbound.hasPartialMessage {
            inboundError = Status(.internalError, "the request stream ended inside a message")
        }
        deliverIfWaiting()
        startHandlerIfPending()
    }

    /// Makes `method` the call's handler. It starts on the loop, at once, and runs until it first
    /// waits: so a unary call whose request is complete is answered in the loop iteration that
    /// received it, without a trip through the task queue. A call with one request message
    /// (`startNow` false) starts only once that message is in (END_STREAM), so its first step
    /// does not just wait for it.
    func prepareHandler(_ method: ServerMethod, startNow: Bool) {
        self.method = method
        handlerPending = true
        if startNow { startHandlerIfPending() }
    }

    /// Starts the handler unless it has started or the call has already ended.
    func startHandlerIfPending() {
        guard handlerPending else { return }
        handlerPending = false
        guard !isFinished, !isClosed else { return }
        // The task captures only the stream: no closure context to allocate.
        task = Task.immediate(executorPreference: loop) { [self] in await runHandler() }
    }

    private func runHandler() async {
        guard let method, let context else { return }
        let core = connection.server
        let status: Status
        do {
            if core.interceptors.isEmpty {
                try await method.handler(self, context)
            } else {
                try await ServerCore.runChain(core.interceptors[...], context: context) {
                    try await method.handler(self, context)
                }
            }
            status = .ok
        } catch let error as Status {
            status = error
        } catch is CancellationError {
            status = Status(.cancelled, "the call was cancelled")
        } catch {
            core.log.error("handler failed", ["method": method.descriptor.path, "request_id": context.requestID, "error": "\(error)"])
            status = Status(.unknown, "the handler failed: \(type(of: error))")
        }
        if loop.inEventLoop {
            finish(status: status)
        } else {
            loop.execute { self.finish(status: status) }
        }
    }

    /// A request failure the handler cannot recover from: the call ends with this status at once.
    private func failInbound(_ status: Status) {
        inboundError = status
        inboundFinished = true
        finish(status: status)
        deliverIfWaiting()
    }

    private func deliverIfWaiting() {
        guard let waiter = receiveWaiter else { return }
        if inbound.hasMessage {
            receiveWaiter = nil
            waiter.resume(with: Result { try takeInbound() })
        } else if inboundFinished || terminalError != nil {
            receiveWaiter = nil
            if let error = terminalError ?? inboundError {
                waiter.resume(throwing: error)
            } else {
                waiter.resume(returning: nil)
            }
        }
    }

    private func takeInbound() throws(Status) -> ReceivedMessage {
        guard let (message, credit) = inbound.take() else { preconditionFailure("takeInbound without a message") }
        returnCredit(credit)
        guard message.compressed else { return ReceivedMessage(bytes: message.payload, wasCompressed: false) }
        guard requestEncoding == "gzip" else {
            throw Status(.internalError, "a request message is marked compressed but the call has no grpc-encoding")
        }
        do {
            let bytes = try connection.gzipDecompressor.decompress(message.payload,
                                                                   maxOutputBytes: connection.limits.maxReceiveMessageBytes)
            return ReceivedMessage(bytes: bytes, wasCompressed: true)
        } catch CompressionError.outputTooLarge(let limit) {
            throw Status(.resourceExhausted, "decompressed request message exceeds the limit of \(limit) bytes")
        } catch {
            throw Status(.internalError, "cannot decompress request message: \(error)")
        }
    }

    // MARK: ServerCallStream (any thread)

    func receive() async throws -> ReceivedMessage? {
        if !loop.inEventLoop {
            // Called from a task that does not prefer the loop (say, one the handler spawned):
            // run the whole operation there, since the stream's state is the loop's alone.
            return try await withTaskExecutorPreference(loop) { try await self.receive() }
        }
        loop.assertInEventLoop()
        if let error = terminalError { throw error }
        if inbound.hasMessage { return try takeInbound() }
        if inboundFinished {
            if let error = inboundError { throw error }
            return nil
        }
        guard receiveWaiter == nil else {
            throw Status(.failedPrecondition, "two tasks read the same request stream at once")
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                receiveWaiter = continuation
            }
        } onCancel: {
            loop.execute { self.failWaiters(Status(.cancelled, "the call was cancelled")) }
        }
    }

    func send(_ message: [UInt8], compressed: Bool) async throws {
        if !loop.inEventLoop {
            return try await withTaskExecutorPreference(loop) { try await self.send(message, compressed: compressed) }
        }
        try checkCanSend()
        guard message.count <= connection.limits.maxSendMessageBytes else { throw messageTooLarge(message.count) }
        let compressor = compressed && acceptsGzip ? connection.gzipCompressor : nil
        try MessageFramer.frame(message, compressor: compressor, appendingTo: &outbound)
        try await queued()
    }

    func send<Message: ProtoMessage>(message: Message, compressed: Bool) async throws {
        if !loop.inEventLoop {
            return try await withTaskExecutorPreference(loop) { try await self.send(message: message, compressed: compressed) }
        }
        if compressed && acceptsGzip { return try await send(message.encoded(), compressed: true) }
        try checkCanSend()
        // Encoded in place after a prefix whose length is filled in once the size is known.
        let start = outbound.count
        // An empty buffer gets room for the prefix and a small message at once, rather than being
        // grown for the prefix and again for the message. (Only when empty: reserving exact
        // sizes on a growing buffer would defeat its geometric growth.)
        if start == 0 { outbound.reserveCapacity(MessageFramer.prefixBytes + 256) }
        outbound.append(contentsOf: repeatElement(0, count: MessageFramer.prefixBytes))
        message.encode(appendingTo: &outbound)
        let payloadBytes = outbound.count - start - MessageFramer.prefixBytes
        guard payloadBytes <= connection.limits.maxSendMessageBytes, payloadBytes <= MessageFramer.maxPayloadBytes else {
            outbound.removeSubrange(start...)
            throw messageTooLarge(payloadBytes)
        }
        MessageFramer.writePrefix(compressed: false, payloadBytes: payloadBytes, into: &outbound, at: start)
        try await queued()
    }

    private func checkCanSend() throws {
        loop.assertInEventLoop()
        if let error = terminalError { throw error }
        guard !isFinished else { throw Status(.failedPrecondition, "the call has already finished") }
    }

    private func messageTooLarge(_ bytes: Int) -> Status {
        Status(.resourceExhausted,
               "response message of \(bytes) bytes exceeds the limit of \(connection.limits.maxSendMessageBytes) bytes")
    }

    /// A message was appended to `outbound`: sends the headers first if they have not gone, wakes
    /// the body, and waits while the call's outbound queue is over its bound.
    private func queued() async throws {
        if !responseHeadersSent {
            sendResponseHeaders()
        } else if bodyDeferred {
            bodyDeferred = false
            connection.session.resumeBody(streamID: id)
        }
        connection.scheduleFlush()
        if outbound.count - outboundOffset > connection.limits.maxOutboundBytesPerCall {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    sendWaiters.append(continuation)
                }
            } onCancel: {
                loop.execute { self.failWaiters(Status(.cancelled, "the call was cancelled")) }
            }
        }
    }

    // MARK: Response (loop thread)

    private func sendResponseHeaders() {
        let initialMetadata = context?.initialMetadata ?? Metadata()
        var headers = acceptsGzip ? ResponseHeaders.okGzip : ResponseHeaders.ok
        if !initialMetadata.isEmpty { addMetadata(initialMetadata, to: &headers) }
        responseHeadersSent = true
        connection.session.submitResponse(streamID: id, headers: headers, hasBody: true)
    }

    /// Ends the call with a status: trailers after the response, or a Trailers-Only response.
    func finish(status: Status, httpStatus: Int = 200) {
        guard !isFinished, !isClosed else { return }
        isFinished = true
        handlerPending = false
        if let timer = deadlineTimer {
            loop.cancelTimer(timer)
            deadlineTimer = nil
        }
        var metadata = context?.trailingMetadata ?? Metadata()
        for entry in status.metadata { metadata.add(entry.key, value: entry.value) }
        var block = HTTP2HeaderBlock()
        if !responseHeadersSent {
            responseHeadersSent = true
            block.add(":status", String(httpStatus))
            block.add("content-type", "application/grpc")
            block.add("grpc-accept-encoding", "identity,gzip")
            if let context { addMetadata(context.initialMetadata, to: &block) }
            addStatus(status, metadata: metadata, to: &block)
            connection.session.submitResponse(streamID: id, headers: block, hasBody: false)
        } else {
            if status.code == .ok && status.message.isEmpty && metadata.isEmpty {
                block = ResponseHeaders.okTrailers
            } else {
                addStatus(status, metadata: metadata, to: &block)
            }
            trailers = block
            if bodyDeferred {
                bodyDeferred = false
                connection.session.resumeBody(streamID: id)
            }
        }
        connection.scheduleFlush()
        failWaiters(Status(.cancelled, "the call has finished"), includingSends: true)
    }

    private func addStatus(_ status: Status, metadata: Metadata, to block: inout HTTP2HeaderBlock) {
        block.add("grpc-status", String(status.code.rawValue))
        if !status.message.isEmpty { block.add("grpc-message", PercentEncoding.encodeMessage(status.message)) }
        addMetadata(metadata, to: &block)
    }

    /// Adds user metadata, leaving out names the protocol reserves and values HTTP/2 cannot carry.
    private func addMetadata(_ metadata: Metadata, to block: inout HTTP2HeaderBlock) {
        for entry in metadata where MetadataRules.isSendable(entry) {
            switch entry.value {
            case .string(let text): block.add(entry.key, text)
            case .binary(let bytes): block.add(entry.key, Base64.encodeUnpadded(bytes))
            }
        }
    }

    /// The response's last frame has left. A client still sending is told to stop with
    /// RST_STREAM NO_ERROR (gRPC over HTTP/2); sent only now, since a reset queued earlier
    /// would overtake the status.
    func endStreamSent() {
        if !inboundFinished && !isClosed {
            connection.session.resetStream(streamID: id, errorCode: NGHTTP2_NO_ERROR.rawValue)
            connection.scheduleFlush()
        }
    }

    /// Supplies response body bytes to nghttp2.
    func readBody(into buffer: UnsafeMutableRawBufferPointer) -> HTTP2BodyChunk {
        let available = outbound.count - outboundOffset
        var count = 0
        if available > 0 {
            count = min(available, buffer.count)
            outbound.withUnsafeBytes { raw in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[outboundOffset..<(outboundOffset + count)]))
            }
            outboundOffset += count
            if outboundOffset == outbound.count {
                outbound.removeAll(keepingCapacity: outbound.capacity <= 64 * 1024)
                outboundOffset = 0
            }
            if outbound.count - outboundOffset <= connection.limits.maxOutboundBytesPerCall / 2 {
                let waiters = sendWaiters
                sendWaiters.removeAll()
                for waiter in waiters { waiter.resume() }
            }
        }
        if outbound.count == outboundOffset, let trailers {
            return .end(count, trailers: trailers)
        }
        if count == 0 {
            bodyDeferred = true
            return .deferred
        }
        return .bytes(count)
    }

    // MARK: Ending (loop thread)

    /// The deadline passed: the call ends with DEADLINE_EXCEEDED and its handler is cancelled.
    func deadlineExpired(after timeout: Duration) {
        deadlineTimer = nil
        guard !isFinished, !isClosed else { return }
        finish(status: Status(.deadlineExceeded, "deadline exceeded (grpc-timeout \(timeoutText ?? "\(timeout)"))"))
        terminalError = Status(.deadlineExceeded, "deadline exceeded")
        cancelHandler()
    }

    /// The HTTP/2 stream closed (normally, or reset by the client, or the connection went away).
    func closed(errorCode: UInt32) {
        isClosed = true
        handlerPending = false
        // Bytes still held count against the connection window until consumed.
        let held = inbound.releaseAll()
        if held > 0 { connection.session.consumeConnection(count: held) }
        if let timer = deadlineTimer {
            loop.cancelTimer(timer)
            deadlineTimer = nil
        }
        if !isFinished {
            terminalError = Status(.cancelled, errorCode == 0 ? "the stream closed" : "the client cancelled the call (HTTP/2 error \(errorCode))")
            cancelHandler()
        }
        failWaiters(terminalError ?? Status(.cancelled, "the stream closed"), includingSends: true)
    }

    private func cancelHandler() {
        context?.markCancelled()
        task?.cancel()
        failWaiters(terminalError ?? Status(.cancelled, "the call was cancelled"), includingSends: true)
    }

    private func failWaiters(_ status: Status, includingSends: Bool = true) {
        if let waiter = receiveWaiter {
            receiveWaiter = nil
            waiter.resume(throwing: terminalError ?? status)
        }
        if includingSends {
            let waiters = sendWaiters
            sendWaiters.removeAll()
            for waiter in waiters { waiter.resume(throwing: terminalError ?? status) }
        }
    }
}

/// The header blocks most responses use, built once.
enum ResponseHeaders {
    static let ok = make(gzip: false)
    static let okGzip = make(gzip: true)
    static let okTrailers: HTTP2HeaderBlock = {
        var block = HTTP2HeaderBlock()
        block.add("grpc-status", "0")
        return block
    }()

    private static func make(gzip: Bool) -> HTTP2HeaderBlock {
        var headers = HTTP2HeaderBlock()
        headers.add(":status", "200")
        headers.add("content-type", "application/grpc")
        if gzip { headers.add("grpc-encoding", "gzip") }
        headers.add("grpc-accept-encoding", "identity,gzip")
        return headers
    }
}

/// A few Strings made from header bytes, kept per connection and handed out again for the same
/// bytes, so a repeated path or metadata value costs a comparison instead of an allocation.
struct HeaderStringCache {
    /// Entries kept; a miss replaces the oldest.
    static let capacity = 16
    /// Values longer than this are not kept (they are rarely repeated and would hold memory).
    static let maxEntryBytes = 256

    private var entries: [(bytes: [UInt8], string: String)] = []
    private var nextVictim = 0

    mutating func string(for bytes: UnsafeRawBufferPointer) -> String {
        for entry in entries where entry.bytes.count == bytes.count {
            let same = entry.bytes.withUnsafeBytes { stored in
                bytes.count == 0 || memcmp(stored.baseAddress!, bytes.baseAddress!, bytes.count) == 0
            }
            if same { return entry.string }
        }
        let string = String(decoding: bytes, as: UTF8.self)
        guard bytes.count <= Self.maxEntryBytes else { return string }
        let entry = (Array(bytes), string)
        if entries.count < Self.capacity {
            entries.append(entry)
        } else {
            entries[nextVictim] = entry
            nextVictim = (nextVictim + 1) % Self.capacity
        }
        return string
    }
}

/// Byte-level matching of header names, so known headers cost no String.
enum HeaderName {
    static func matches(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount, let base = bytes.baseAddress else { return false }
        return memcmp(base, literal.utf8Start, bytes.count) == 0
    }

    static func hasPrefix(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        guard bytes.count >= literal.utf8CodeUnitCount, let base = bytes.baseAddress else { return false }
        return memcmp(base, literal.utf8Start, literal.utf8CodeUnitCount) == 0
    }
}

/// Which metadata entries may be sent as HTTP/2 header fields.
enum MetadataRules {
    /// Reserved names (pseudo-headers, the gRPC protocol's own) and malformed names or values are
    /// not sendable: nghttp2 peers would reset the stream over them.
    static func isSendable(_ entry: Metadata.Entry) -> Bool {
        let key = entry.key
        guard !key.isEmpty, !key.hasPrefix("grpc-"), key != "content-type", key != "te",
              key != "connection", key != "transfer-encoding", key != "host" else { return false }
        for byte in key.utf8 {
            let ok = (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x5F || byte == 0x2E
            if !ok { return false }
        }
        if case .string(let text) = entry.value {
            for byte in text.utf8 where byte < 0x20 || byte > 0x7E { return false }
        }
        return true
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return text
    }
}
