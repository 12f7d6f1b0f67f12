import CLinux
import Glibc
import RPCCore
import Synchronization

/// A gRPC echo server written directly on RPCCore's HTTP/2 session instead of RPCServer (whose
/// `grpc-accept-encoding` is fixed at `identity,gzip`), like a server built without gzip: every
/// response says `grpc-accept-encoding: identity`, and a request with any other `grpc-encoding`
/// gets UNIMPLEMENTED, as gRPC's compression doc asks. Each call is answered, on any path, with
/// its request messages once the request has ended. It records what arrived and counts the TCP
/// connections it accepted.
final class IdentityOnlyServer: Sendable {
    /// One request as it arrived.
    struct Request: Sendable, Equatable {
        /// Its `grpc-encoding` header, if any.
        var encoding: String?
        /// The compressed flag of each of its messages.
        var compressedFlags: [Bool]
    }

    let port: Int
    private let group: EventLoopGroup
    private let listener: RawListener
    private let record: Record

    private init(port: Int, group: EventLoopGroup, listener: RawListener, record: Record) {
        self.port = port
        self.group = group
        self.listener = listener
        self.record = record
    }

    /// Starts listening on 127.0.0.1:`port` (0: any free port).
    static func start(port: Int = 0) async throws -> IdentityOnlyServer {
        let (fd, boundPort) = try Socket.listen(on: SocketAddress(host: "127.0.0.1", port: port), reusePort: false)
        let group = EventLoopGroup(count: 1)
        let loop = group.loops[0]
        let record = Record()
        let listener = RawListener(loop: loop, fd: fd, record: record)
        do {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                loop.execute {
                    do {
                        try listener.register()
                        continuation.resume()
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
        } catch {
            close(fd)
            group.shutdown()
            throw error
        }
        return IdentityOnlyServer(port: boundPort, group: group, listener: listener, record: record)
    }

    /// Where clients reach it.
    var address: SocketAddress { SocketAddress(host: "127.0.0.1", port: port) }
    /// TCP connections accepted so far.
    var acceptedConnections: Int { record.state.withLock { $0.acceptedConnections } }
    /// The requests answered so far, in order.
    var requests: [Request] { record.state.withLock { $0.requests } }

    /// Stops listening, closes every connection and stops the loop.
    func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            listener.loop.execute { [listener] in
                listener.closeAll()
                continuation.resume()
            }
        }
        group.shutdown()
    }
}

/// What the server saw, shared between its loop and the test.
private final class Record: Sendable {
    struct State {
        var acceptedConnections = 0
        var requests: [IdentityOnlyServer.Request] = []
    }
    let state = Mutex(State())
}

/// The listening socket and the connections it accepted; loop-confined.
private final class RawListener: EventLoopSelectable, @unchecked Sendable {
    let loop: EventLoop
    private var fd: Int32
    private let record: Record
    private var connections: [ObjectIdentifier: RawConnection] = [:]

    init(loop: EventLoop, fd: Int32, record: Record) {
        self.loop = loop
        self.fd = fd
        self.record = record
    }

    func register() throws {
        try loop.register(fd, events: EPOLLIN.rawValue, handler: self)
    }

    func handleEvents(_ events: UInt32) {
        while fd >= 0, let (socket, peer) = (try? Socket.accept(from: fd)) ?? nil {
            record.state.withLock { $0.acceptedConnections += 1 }
            let connection = RawConnection(listener: self, record: record)
            do {
                try connection.start(loop: loop, fd: socket, peer: peer)
                connections[ObjectIdentifier(connection)] = connection
            } catch {
                close(socket)
            }
        }
    }

    func remove(_ connection: RawConnection) {
        connections[ObjectIdentifier(connection)] = nil
    }

    func closeAll() {
        if fd >= 0 {
            loop.unregister(fd)
            close(fd)
            fd = -1
        }
        for connection in Array(connections.values) { connection.close() }
    }
}

/// One accepted connection: plain HTTP/2 (h2c), answering each stream when its request ends.
private final class RawConnection: SocketChannelDelegate, HTTP2SessionDelegate {
    private struct Call {
        var encoding: String?
        var body: [UInt8] = []
        var response: [UInt8] = []
        var responseOffset = 0
    }

    private let listener: RawListener
    private let record: Record
    private var channel: SocketChannel?
    private var session: HTTP2Session!
    private var writer = HTTP2FrameWriter()
    private var calls: [Int32: Call] = [:]

    init(listener: RawListener, record: Record) {
        self.listener = listener
        self.record = record
    }

    func start(loop: EventLoop, fd: Int32, peer: String) throws {
        session = HTTP2Session(isServer: true, limits: HTTP2SessionLimits(), delegate: self)
        channel = try SocketChannel(loop: loop, fd: fd, peerAddress: peer, tls: nil, isConnecting: false, delegate: self)
    }

    func close() {
        channel?.close()
    }

    private func flush() {
        guard let channel else { return }
        writer.flush(session, to: channel)
    }

    // MARK: SocketChannelDelegate

    func channelActive(_ channel: SocketChannel) { flush() }

    func channelRead(_ channel: SocketChannel, _ bytes: UnsafeRawBufferPointer) {
        do {
            try session.receive(bytes)
        } catch {
            channel.close(error: "\(error)")
            return
        }
        flush()
    }

    func channelWritable(_ channel: SocketChannel) { flush() }

    func channelClosed(_ channel: SocketChannel, error: String?) {
        self.channel = nil
        listener.remove(self)
    }

    // MARK: HTTP2SessionDelegate

    func http2BeginHeaders(streamID: Int32, isTrailers: Bool) {
        if !isTrailers { calls[streamID] = Call() }
    }

    func http2Header(streamID: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool {
        if String(decoding: name, as: UTF8.self) == "grpc-encoding" {
            calls[streamID]?.encoding = String(decoding: value, as: UTF8.self)
        }
        return true
    }

    func http2HeadersComplete(streamID: Int32, isTrailers: Bool, endStream: Bool) {
        if endStream { respond(streamID) }
    }

    func http2Data(streamID: Int32, bytes: UnsafeRawBufferPointer) {
        // nghttp2's automatic window updates are off in HTTP2Session: credit goes back here.
        session.consume(streamID: streamID, count: bytes.count)
        calls[streamID]?.body.append(contentsOf: bytes)
    }

    func http2DataEndStream(streamID: Int32) { respond(streamID) }

    func http2StreamClosed(streamID: Int32, errorCode: UInt32) {
        calls[streamID] = nil
    }

    func http2ReadBody(streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> HTTP2BodyChunk {
        guard var call = calls[streamID] else { return .end(0, trailers: nil) }
        let count = min(buffer.count, call.response.count - call.responseOffset)
        call.response.withUnsafeBytes { raw in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[call.responseOffset..<(call.responseOffset + count)]))
        }
        call.responseOffset += count
        calls[streamID] = call
        guard call.responseOffset == call.response.count else { return .bytes(count) }
        var trailers = HTTP2HeaderBlock()
        trailers.add("grpc-status", "0")
        return .end(count, trailers: trailers)
    }

    func http2GoAway(lastStreamID: Int32, errorCode: UInt32) {}
    func http2SettingsReceived() {}

    // MARK: Answering

    private func respond(_ streamID: Int32) {
        guard var call = calls[streamID] else { return }
        let messages = Self.messages(in: call.body)
        record.state.withLock {
            $0.requests.append(IdentityOnlyServer.Request(encoding: call.encoding, compressedFlags: messages.map(\.compressed)))
        }
        var headers = HTTP2HeaderBlock()
        headers.add(":status", "200")
        headers.add("content-type", "application/grpc")
        headers.add("grpc-accept-encoding", "identity")
        if let encoding = call.encoding, encoding != "identity" {
            headers.add("grpc-status", "12")
            headers.add("grpc-message", "grpc-encoding \(encoding) is not supported")
            session.submitResponse(streamID: streamID, headers: headers, hasBody: false)
            return
        }
        for message in messages {
            call.response += [0] + Self.bigEndian(UInt32(message.payload.count)) + message.payload
        }
        calls[streamID] = call
        session.submitResponse(streamID: streamID, headers: headers, hasBody: true)
    }

    /// The length-prefixed messages of a request body (a trailing partial message is ignored).
    private static func messages(in body: [UInt8]) -> [(compressed: Bool, payload: [UInt8])] {
        var messages: [(compressed: Bool, payload: [UInt8])] = []
        var offset = 0
        while body.count - offset >= 5 {
            let length = body[(offset + 1)..<(offset + 5)].reduce(0) { $0 << 8 | Int($1) }
            guard body.count - offset - 5 >= length else { break }
            messages.append((body[offset] == 1, Array(body[(offset + 5)..<(offset + 5 + length)])))
            offset += 5 + length
        }
        return messages
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
