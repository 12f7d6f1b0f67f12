import CNGHTTP2

/// What an HTTP/2 session reports to the connection that owns it. Called on the loop thread,
/// from inside `HTTP2Session.receive` or `HTTP2Session.produceOutput`: a delegate must not
/// destroy the session from these calls.
public protocol HTTP2SessionDelegate: AnyObject {
    /// A HEADERS frame starts (a request on the server, a response or trailers on the client).
    func http2BeginHeaders(streamID: Int32, isTrailers: Bool)
    /// One header field. Returning false resets the stream (e.g. a header over the size limit).
    func http2Header(streamID: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool
    /// The header block is complete; `endStream` when the peer sends no body after it.
    func http2HeadersComplete(streamID: Int32, isTrailers: Bool, endStream: Bool)
    /// A chunk of a DATA frame's payload. Its flow-control credit returns only through `consume`.
    func http2Data(streamID: Int32, bytes: UnsafeRawBufferPointer)
    /// The peer finished sending on the stream (END_STREAM on DATA).
    func http2DataEndStream(streamID: Int32)
    /// The stream closed; `errorCode` is the RST_STREAM or GOAWAY code, 0 when orderly.
    func http2StreamClosed(streamID: Int32, errorCode: UInt32)
    /// Supplies body bytes for a stream submitted with a body. Write at most `buffer.count` bytes.
    func http2ReadBody(streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> HTTP2BodyChunk
    /// The peer sent GOAWAY.
    func http2GoAway(lastStreamID: Int32, errorCode: UInt32)
    /// The peer's SETTINGS arrived (on a server: the client preface is complete).
    func http2SettingsReceived()
    /// The peer acknowledged one of our PINGs (client keepalive).
    func http2PingAck()
    /// A frame carrying END_STREAM (DATA or HEADERS) left for the peer on `streamID`.
    func http2EndStreamSent(streamID: Int32)
}

extension HTTP2SessionDelegate {
    /// Sessions that send no PINGs ignore acknowledgements.
    public func http2PingAck() {}
    /// Sessions that do not care when a stream's last frame leaves ignore it.
    public func http2EndStreamSent(streamID: Int32) {}
}

/// What a body source returns to nghttp2 when asked for bytes.
public enum HTTP2BodyChunk {
    /// `count` bytes were written; more follow later.
    case bytes(Int)
    /// Nothing to send now: the stream waits until `resumeBody` is called.
    case deferred
    /// `count` bytes were written and they are the last; the trailers (if any) end the stream.
    case end(Int, trailers: HTTP2HeaderBlock?)
}

/// The limits and settings of one HTTP/2 session.
public struct HTTP2SessionLimits: Sendable {
    /// SETTINGS_MAX_CONCURRENT_STREAMS advertised and enforced (nghttp2 refuses more).
    public var maxConcurrentStreams: UInt32 = 100
    /// SETTINGS_MAX_HEADER_LIST_SIZE advertised; the connection enforces it when headers arrive.
    public var maxHeaderListBytes: UInt32 = 16 * 1024
    /// SETTINGS_INITIAL_WINDOW_SIZE: per-stream receive window.
    public var streamWindowBytes: Int32 = 256 * 1024
    /// The connection-level receive window.
    public var connectionWindowBytes: Int32 = 1024 * 1024
    /// SETTINGS_MAX_FRAME_SIZE advertised.
    public var maxFrameBytes: UInt32 = 16 * 1024
    /// RST_STREAM frames a peer may send in a burst (token bucket) before GOAWAY (Rapid Reset, CVE-2023-44487).
    public var streamResetBurst: UInt64 = 1000
    /// RST_STREAM frames per second refilled into that bucket.
    public var streamResetRatePerSecond: UInt64 = 33
    /// CONTINUATION frames allowed after one HEADERS (CVE-2024-28182).
    public var maxContinuations: Int = 8
    /// SETTINGS entries accepted in one frame.
    public var maxSettingsEntries: Int = 32
    /// Queued PING/SETTINGS acknowledgements before the peer is cut off for not reading.
    public var maxOutboundAcks: Int = 1000

    public init() {}
}

/// An ordered list of header fields, kept as one byte buffer for nghttp2.
public struct HTTP2HeaderBlock: Sendable {
    private var bytes: [UInt8] = []
    private var fields: [(nameOffset: Int, nameCount: Int, valueOffset: Int, valueCount: Int)] = []

    public init() {}

    /// Appends a field; names must be lower-case.
    public mutating func add(_ name: String, _ value: String) {
        let nameOffset = bytes.count
        bytes.append(contentsOf: name.utf8)
        let valueOffset = bytes.count
        bytes.append(contentsOf: value.utf8)
        fields.append((nameOffset, valueOffset - nameOffset, valueOffset, bytes.count - valueOffset))
    }

    /// The number of fields.
    public var count: Int { fields.count }

    /// Calls `body` with the fields as nghttp2 name/value pairs, valid only during the call.
    func withNameValues<R>(_ body: (UnsafeMutablePointer<nghttp2_nv>?, Int) -> R) -> R {
        bytes.withUnsafeBytes { raw in
            let base = UnsafeMutablePointer(mutating: raw.bindMemory(to: UInt8.self).baseAddress)
            // On the stack: header blocks are built per response on the hot path.
            return withUnsafeTemporaryAllocation(of: nghttp2_nv.self, capacity: fields.count) { nvs in
                for (index, field) in fields.enumerated() {
                    nvs.initializeElement(at: index, to: nghttp2_nv(
                        name: base.map { $0 + field.nameOffset }, value: base.map { $0 + field.valueOffset },
                        namelen: field.nameCount, valuelen: field.valueCount, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)))
                }
                return body(nvs.baseAddress, fields.count)
            }
        }
    }
}

/// Why the session could not go on; the connection closes.
public struct HTTP2Error: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public var description: String { String(cString: nghttp2_strerror(code)) }
}

/// One nghttp2 session (server or client side): the only type that calls nghttp2.
public final class HTTP2Session {
    private var session: OpaquePointer?
    /// Receives the session's events.
    public unowned(unsafe) let delegate: HTTP2SessionDelegate
    /// Whether this is the server side.
    public let isServer: Bool

    /// Creates a session and queues the initial SETTINGS (and for a server, the larger connection window).
    public init(isServer: Bool, limits: HTTP2SessionLimits, delegate: HTTP2SessionDelegate) {
        self.isServer = isServer
        self.delegate = delegate
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, onBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameReceived)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunk)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClose)
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, onFrameSent)

        var option: OpaquePointer?
        nghttp2_option_new(&option)
        defer { nghttp2_option_del(option) }
        nghttp2_option_set_no_auto_window_update(option, 1)
        nghttp2_option_set_stream_reset_rate_limit(option, limits.streamResetBurst, limits.streamResetRatePerSecond)
        nghttp2_option_set_max_continuations(option, limits.maxContinuations)
        nghttp2_option_set_max_settings(option, limits.maxSettingsEntries)
        nghttp2_option_set_max_outbound_ack(option, limits.maxOutboundAcks)
        if !isServer { nghttp2_option_set_peer_max_concurrent_streams(option, 100) }

        let userData = Unmanaged.passUnretained(self).toOpaque()
        let result = isServer
            ? nghttp2_session_server_new2(&session, callbacks, userData, option)
            : nghttp2_session_client_new2(&session, callbacks, userData, option)
        precondition(result == 0 && session != nil, "nghttp2 session creation failed: \(result)")

        var settings = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: limits.maxConcurrentStreams),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: UInt32(limits.streamWindowBytes)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue), value: limits.maxHeaderListBytes),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_FRAME_SIZE.rawValue), value: limits.maxFrameBytes),
        ]
        if isServer {
            settings.append(nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0))
        }
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count)
        nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, limits.connectionWindowBytes)
    }

    deinit {
        nghttp2_session_del(session)
    }

    /// Feeds received bytes to the session; callbacks run during the call.
    public func receive(_ bytes: UnsafeRawBufferPointer) throws(HTTP2Error) {
        guard let base = bytes.baseAddress else { return }
        let result = nghttp2_session_mem_recv(session, base.assumingMemoryBound(to: UInt8.self), bytes.count)
        if result < 0 { throw HTTP2Error(code: Int32(result)) }
    }

    /// Serializes queued frames into `buffer` until it holds at least `limit` bytes or nothing is left.
    public func produceOutput(into buffer: inout [UInt8], limit: Int) throws(HTTP2Error) {
        while buffer.count < limit {
            var data: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &data)
            if count < 0 { throw HTTP2Error(code: Int32(count)) }
            guard count > 0, let data else { return }
            buffer.append(contentsOf: UnsafeBufferPointer(start: data, count: count))
        }
    }

    /// Whether the session still wants to read or write; when neither, the connection can close.
    public var isAlive: Bool {
        nghttp2_session_want_read(session) != 0 || nghttp2_session_want_write(session) != 0
    }

    /// Returns `count` bytes of receive-window credit on the stream and the connection.
    public func consume(streamID: Int32, count: Int) {
        guard count > 0 else { return }
        nghttp2_session_consume(session, streamID, count)
    }

    /// Returns connection-level credit only (bytes of a stream that is already gone).
    public func consumeConnection(count: Int) {
        guard count > 0 else { return }
        nghttp2_session_consume_connection(session, count)
    }

    /// Queues response headers; with `hasBody` the body comes from `http2ReadBody`, else the
    /// headers end the stream (a Trailers-Only response).
    @discardableResult
    public func submitResponse(streamID: Int32, headers: HTTP2HeaderBlock, hasBody: Bool) -> Bool {
        headers.withNameValues { nva, count in
            if hasBody {
                var provider = nghttp2_data_provider(source: nghttp2_data_source(fd: 0), read_callback: readBody)
                return nghttp2_submit_response(session, streamID, nva, count, &provider) == 0
            }
            return nghttp2_submit_response(session, streamID, nva, count, nil) == 0
        }
    }

    /// Queues a request (client side); returns the new stream's id, or nil when no stream can open.
    public func submitRequest(headers: HTTP2HeaderBlock) -> Int32? {
        let id = headers.withNameValues { nva, count in
            var provider = nghttp2_data_provider(source: nghttp2_data_source(fd: 0), read_callback: readBody)
            return nghttp2_submit_request(session, nil, nva, count, &provider, nil)
        }
        return id > 0 ? id : nil
    }

    /// Tells nghttp2 a deferred body has bytes (or its end) again.
    public func resumeBody(streamID: Int32) {
        nghttp2_session_resume_data(session, streamID)
    }

    /// Resets a stream with an HTTP/2 error code.
    public func resetStream(streamID: Int32, errorCode: UInt32) {
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, errorCode)
    }

    /// Queues GOAWAY with the last stream processed; the session ends once streams finish.
    public func goAway(errorCode: UInt32, lastStreamID: Int32? = nil, debugData: String = "") {
        let last = lastStreamID ?? nghttp2_session_get_last_proc_stream_id(session)
        var data = Array(debugData.utf8)
        nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), last, errorCode, &data, data.count)
    }

    /// Ends the session after a fatal error: queues GOAWAY with `errorCode` unless nghttp2 already
    /// did (it does for some errors but not, e.g., for a CONTINUATION flood).
    public func terminate(errorCode: UInt32) {
        nghttp2_session_terminate_session(session, errorCode)
    }

    /// Queues a PING (client keepalive).
    public func ping() {
        nghttp2_submit_ping(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil)
    }

    fileprivate static func from(_ userData: UnsafeMutableRawPointer?) -> HTTP2Session {
        Unmanaged<HTTP2Session>.fromOpaque(userData!).takeUnretainedValue()
    }
}

// MARK: - nghttp2 callbacks (plain functions: they capture nothing and find the session via user_data)

/// Whether a HEADERS frame is a trailer block (neither the request's nor the response's head).
private func isTrailers(_ frame: UnsafePointer<nghttp2_frame>) -> Bool {
    frame.pointee.headers.cat == NGHTTP2_HCAT_HEADERS
}

private func onBeginHeaders(_ session: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?,
                            _ userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let frame, frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue) else { return 0 }
    let owner = HTTP2Session.from(userData)
    owner.delegate.http2BeginHeaders(streamID: frame.pointee.hd.stream_id, isTrailers: isTrailers(frame))
    return 0
}

private func onHeader(_ session: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?,
                      _ name: UnsafePointer<UInt8>?, _ nameLength: Int,
                      _ value: UnsafePointer<UInt8>?, _ valueLength: Int,
                      _ flags: UInt8, _ userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let frame, frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue) else { return 0 }
    let owner = HTTP2Session.from(userData)
    let accepted = owner.delegate.http2Header(streamID: frame.pointee.hd.stream_id,
                                              name: UnsafeRawBufferPointer(start: name, count: nameLength),
                                              value: UnsafeRawBufferPointer(start: value, count: valueLength))
    return accepted ? 0 : NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue
}

private func onFrameReceived(_ session: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?,
                             _ userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let frame else { return 0 }
    let owner = HTTP2Session.from(userData)
    let endStream = frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
    let streamID = frame.pointee.hd.stream_id
    switch UInt32(frame.pointee.hd.type) {
    case NGHTTP2_HEADERS.rawValue:
        owner.delegate.http2HeadersComplete(streamID: streamID, isTrailers: isTrailers(frame),
                                            endStream: endStream)
    case NGHTTP2_DATA.rawValue:
        if endStream { owner.delegate.http2DataEndStream(streamID: streamID) }
    case NGHTTP2_SETTINGS.rawValue:
        if frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) == 0 { owner.delegate.http2SettingsReceived() }
    case NGHTTP2_PING.rawValue:
        if frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0 { owner.delegate.http2PingAck() }
    case NGHTTP2_GOAWAY.rawValue:
        owner.delegate.http2GoAway(lastStreamID: frame.pointee.goaway.last_stream_id, errorCode: frame.pointee.goaway.error_code)
    default:
        break
    }
    return 0
}

private func onFrameSent(_ session: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?,
                         _ userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let frame, frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0 else { return 0 }
    let type = UInt32(frame.pointee.hd.type)
    if type == NGHTTP2_HEADERS.rawValue || type == NGHTTP2_DATA.rawValue {
        HTTP2Session.from(userData).delegate.http2EndStreamSent(streamID: frame.pointee.hd.stream_id)
    }
    return 0
}

private func onDataChunk(_ session: OpaquePointer?, _ flags: UInt8, _ streamID: Int32,
                         _ data: UnsafePointer<UInt8>?, _ length: Int, _ userData: UnsafeMutableRawPointer?) -> Int32 {
    HTTP2Session.from(userData).delegate.http2Data(streamID: streamID, bytes: UnsafeRawBufferPointer(start: data, count: length))
    return 0
}

private func onStreamClose(_ session: OpaquePointer?, _ streamID: Int32, _ errorCode: UInt32,
                           _ userData: UnsafeMutableRawPointer?) -> Int32 {
    HTTP2Session.from(userData).delegate.http2StreamClosed(streamID: streamID, errorCode: errorCode)
    return 0
}

private func readBody(_ session: OpaquePointer?, _ streamID: Int32, _ buffer: UnsafeMutablePointer<UInt8>?,
                      _ length: Int, _ dataFlags: UnsafeMutablePointer<UInt32>?,
                      _ source: UnsafeMutablePointer<nghttp2_data_source>?, _ userData: UnsafeMutableRawPointer?) -> Int {
    let owner = HTTP2Session.from(userData)
    switch owner.delegate.http2ReadBody(streamID: streamID, into: UnsafeMutableRawBufferPointer(start: buffer, count: length)) {
    case .bytes(let count):
        return count
    case .deferred:
        return Int(NGHTTP2_ERR_DEFERRED.rawValue)
    case .end(let count, let trailers):
        if let trailers {
            dataFlags?.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue | NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
            let submitted = trailers.withNameValues { nva, nvCount in nghttp2_submit_trailer(session, streamID, nva, nvCount) }
            if submitted != 0 { return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue) }
        } else {
            dataFlags?.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
        }
        return count
    }
}
