import Generated
import Glibc
import RPCCore

/// `grpc.testing.TestService` as the gRPC interop test descriptions specify its server
/// (https://github.com/grpc/grpc/blob/master/doc/interop-test-descriptions.md#server).
/// `UnimplementedCall` is not routed, so callers get UNIMPLEMENTED from the router, as the
/// `unimplemented_method` case expects; `grpc.testing.UnimplementedService` is not served at all.
public struct InteropTestService: Grpc_Testing_TestServiceProvider {
    /// The largest payload a request may ask for; the interop cases ask for at most 314159 bytes.
    public static let maxPayloadBytes = 4 << 20
    /// The most requests HalfDuplexCall buffers before it answers.
    public static let maxBufferedRequests = 10_000

    /// Sent as `server_id` when a request sets `fill_server_id`.
    public let serverID: String

    public init(serverID: String = "medexpress") {
        self.serverID = serverID
    }

    typealias Method = Grpc_Testing_TestService.Method

    /// Every method except UnimplementedCall. UnaryCall and StreamingInputCall are served through the
    /// raw stream API, because `expect_compressed` needs each request's compressed flag.
    public var methods: [ServerMethod] {
        [
            .unary(Method.emptyCall) { request, context in
                try await emptyCall(request, context: context)
            },
            ServerMethod(descriptor: Method.unaryCall.descriptor) { stream, context in
                Self.echoMetadata(context)
                let received = try await Self.receiveSingle(Grpc_Testing_SimpleRequest.self, from: stream)
                try Self.checkCompression(expected: received.message.expectCompressed, wasCompressed: received.wasCompressed)
                let response = try await unaryCall(received.message, context: context)
                try await stream.send(message: response, compressed: context.compressResponses)
            },
            .unary(Method.cacheableUnaryCall) { request, context in
                try await cacheableUnaryCall(request, context: context)
            },
            .serverStreaming(Method.streamingOutputCall) { request, responses, context in
                try await streamingOutputCall(request, responses: responses, context: context)
            },
            ServerMethod(descriptor: Method.streamingInputCall.descriptor) { stream, context in
                Self.echoMetadata(context)
                var aggregatedBytes = 0
                while let received = try await stream.receive() {
                    let request = try Self.decode(Grpc_Testing_StreamingInputCallRequest.self, received.bytes)
                    try Self.checkCompression(expected: request.expectCompressed, wasCompressed: received.wasCompressed)
                    aggregatedBytes += request.payload?.body.count ?? 0
                }
                let response = Grpc_Testing_StreamingInputCallResponse.with { $0.aggregatedPayloadSize = Int32(clamping: aggregatedBytes) }
                try await stream.send(message: response, compressed: context.compressResponses)
            },
            .bidirectionalStreaming(Method.fullDuplexCall) { requests, responses, context in
                try await fullDuplexCall(requests, responses: responses, context: context)
            },
            .bidirectionalStreaming(Method.halfDuplexCall) { requests, responses, context in
                try await halfDuplexCall(requests, responses: responses, context: context)
            },
        ]
    }

    // MARK: Grpc_Testing_TestServiceProvider

    public func emptyCall(_ request: Grpc_Testing_Empty, context: ServerContext) async throws -> Grpc_Testing_Empty {
        Self.echoMetadata(context)
        return Grpc_Testing_Empty()
    }

    /// A payload of `response_size` zeros; `response_status` ends the call with that status instead.
    /// (`expect_compressed` is checked by the route in `methods`, which sees the compressed flag.)
    public func unaryCall(_ request: Grpc_Testing_SimpleRequest, context: ServerContext) async throws -> Grpc_Testing_SimpleResponse {
        Self.echoMetadata(context)
        try Self.echoStatus(request.responseStatus)
        if let compressed = request.responseCompressed { context.compressResponses = compressed.value }
        let payload = try Self.payload(type: request.responseType, size: request.responseSize)
        return .with { response in
            response.payload = payload
            if request.fillUsername, let name = context.peer.certificate?.commonName { response.username = name }
            if request.fillServerId { response.serverId = serverID }
        }
    }

    /// The current time in nanoseconds as text, with headers that let a caching proxy keep it 60 s.
    public func cacheableUnaryCall(_ request: Grpc_Testing_SimpleRequest, context: ServerContext) async throws
        -> Grpc_Testing_SimpleResponse {
        Self.echoMetadata(context)
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let nanoseconds = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
        context.initialMetadata.add("cache-control", "max-age=60, public")
        return .with { response in
            response.payload = .with {
                $0.type = .compressable
                $0.body = Array(String(nanoseconds).utf8)
            }
        }
    }

    /// One response per ResponseParameters, each after its `interval_us`.
    public func streamingOutputCall(_ request: Grpc_Testing_StreamingOutputCallRequest,
                                    responses: ResponseWriter<Grpc_Testing_StreamingOutputCallResponse>,
                                    context: ServerContext) async throws {
        Self.echoMetadata(context)
        try await Self.respond(to: request, responses: responses, context: context)
    }

    /// The sum of the request payload sizes. Served through `methods`' raw route, which also checks
    /// `expect_compressed`; this typed form cannot see compression flags and does not check them.
    public func streamingInputCall(_ requests: RequestStream<Grpc_Testing_StreamingInputCallRequest>,
                                   context: ServerContext) async throws -> Grpc_Testing_StreamingInputCallResponse {
        Self.echoMetadata(context)
        var aggregatedBytes = 0
        for try await request in requests { aggregatedBytes += request.payload?.body.count ?? 0 }
        return .with { $0.aggregatedPayloadSize = Int32(clamping: aggregatedBytes) }
    }

    /// Answers each request as it arrives.
    public func fullDuplexCall(_ requests: RequestStream<Grpc_Testing_StreamingOutputCallRequest>,
                               responses: ResponseWriter<Grpc_Testing_StreamingOutputCallResponse>,
                               context: ServerContext) async throws {
        Self.echoMetadata(context)
        for try await request in requests {
            try await Self.respond(to: request, responses: responses, context: context)
        }
    }

    /// Buffers the requests until the client half-closes, then answers them in order.
    public func halfDuplexCall(_ requests: RequestStream<Grpc_Testing_StreamingOutputCallRequest>,
                               responses: ResponseWriter<Grpc_Testing_StreamingOutputCallResponse>,
                               context: ServerContext) async throws {
        Self.echoMetadata(context)
        var buffered: [Grpc_Testing_StreamingOutputCallRequest] = []
        for try await request in requests {
            guard buffered.count < Self.maxBufferedRequests else {
                throw Status(.resourceExhausted, "more than \(Self.maxBufferedRequests) requests before half-close")
            }
            buffered.append(request)
        }
        for request in buffered {
            try await Self.respond(to: request, responses: responses, context: context)
        }
    }

    /// Not served (see `methods`); a direct call fails as the router would.
    public func unimplementedCall(_ request: Grpc_Testing_Empty, context: ServerContext) async throws -> Grpc_Testing_Empty {
        throw Status(.unimplemented, "grpc.testing.TestService/UnimplementedCall is not implemented")
    }

    // MARK: Server features

    /// Echo Metadata: `x-grpc-test-echo-initial` back as initial metadata and `x-grpc-test-echo-trailing-bin`
    /// as trailing metadata. Done first, so the echo also accompanies an error status; idempotent, so
    /// a raw route and the typed method it calls may both do it.
    static func echoMetadata(_ context: ServerContext) {
        let initial = context.requestMetadata.values("x-grpc-test-echo-initial")
        if !initial.isEmpty {
            var metadata = context.initialMetadata
            metadata.removeAll("x-grpc-test-echo-initial")
            for value in initial { metadata.add("x-grpc-test-echo-initial", value: value) }
            context.initialMetadata = metadata
        }
        let trailing = context.requestMetadata.values("x-grpc-test-echo-trailing-bin")
        if !trailing.isEmpty {
            var metadata = context.trailingMetadata
            metadata.removeAll("x-grpc-test-echo-trailing-bin")
            for value in trailing { metadata.add("x-grpc-test-echo-trailing-bin", value: value) }
            context.trailingMetadata = metadata
        }
    }

    /// Echo Status: a request's `response_status` with a non-OK code ends the call with that status.
    static func echoStatus(_ status: Grpc_Testing_EchoStatus?) throws {
        guard let status, status.code != 0 else { return }
        throw Status(Status.Code(wireValue: Int(status.code)), status.message)
    }

    /// CompressedRequest: a request that sets `expect_compressed` must have arrived compressed. An
    /// uncompressed request is always acceptable when compression was not expected.
    static func checkCompression(expected: Grpc_Testing_BoolValue?, wasCompressed: Bool) throws {
        if expected?.value == true && !wasCompressed {
            throw Status(.invalidArgument, "expect_compressed is set but the request was not compressed")
        }
    }

    /// The responses for one StreamingOutputCallRequest (Echo Status first, then each ResponseParameters
    /// after sleeping its `interval_us`, compressed as it asks).
    static func respond(to request: Grpc_Testing_StreamingOutputCallRequest,
                        responses: ResponseWriter<Grpc_Testing_StreamingOutputCallResponse>,
                        context: ServerContext) async throws {
        try echoStatus(request.responseStatus)
        for parameters in request.responseParameters {
            let payload = try payload(type: request.responseType, size: parameters.size)
            guard parameters.intervalUs >= 0 else {
                throw Status(.invalidArgument, "interval_us must not be negative, got \(parameters.intervalUs)")
            }
            if parameters.intervalUs > 0 {
                // Task.sleep throws CancellationError when the call is cancelled.
                try await Task.sleep(for: .microseconds(parameters.intervalUs))
            }
            context.compressResponses = parameters.compressed?.value ?? false
            try await responses.write(.with { $0.payload = payload })
        }
    }

    /// A payload of `size` zero bytes; only COMPRESSABLE payloads exist.
    static func payload(type: Grpc_Testing_PayloadType, size: Int32) throws -> Grpc_Testing_Payload {
        guard type == .compressable else {
            throw Status(.invalidArgument, "unsupported response_type \(type.rawValue)")
        }
        guard size >= 0, Int(size) <= maxPayloadBytes else {
            throw Status(.invalidArgument, "response size \(size) is outside 0...\(maxPayloadBytes)")
        }
        return .with {
            $0.type = .compressable
            $0.body = [UInt8](repeating: 0, count: Int(size))
        }
    }

    static func decode<Message: ProtoMessage>(_ type: Message.Type, _ bytes: [UInt8]) throws -> Message {
        do {
            return try Message(decoding: bytes)
        } catch {
            throw Status(.invalidArgument, "request is not a valid \(Message.protoMessageName): \(error.reason)")
        }
    }

    /// Exactly one request message, as unary calls require, with its compressed flag.
    static func receiveSingle<Message: ProtoMessage>(_ type: Message.Type, from stream: any ServerCallStream) async throws
        -> (message: Message, wasCompressed: Bool) {
        guard let received = try await stream.receive() else {
            throw Status(.internalError, "protocol violation: expected one request message, the client sent none")
        }
        guard try await stream.receive() == nil else {
            throw Status(.internalError, "protocol violation: expected one request message, the client sent more")
        }
        return (try decode(type, received.bytes), received.wasCompressed)
    }
}
