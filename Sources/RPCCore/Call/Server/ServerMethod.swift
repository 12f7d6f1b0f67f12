/// One routable method: its descriptor and the handler that serves it over raw message bytes.
public struct ServerMethod: Sendable {
    /// The method served.
    public let descriptor: MethodDescriptor
    /// Serves one call; a thrown `Status` becomes the call's status, anything else UNKNOWN.
    public let handler: @Sendable (any ServerCallStream, ServerContext) async throws -> Void

    public init(descriptor: MethodDescriptor,
                handler: @escaping @Sendable (any ServerCallStream, ServerContext) async throws -> Void) {
        self.descriptor = descriptor
        self.handler = handler
    }

    /// A unary method: one request, one response.
    public static func unary<Request, Response>(
        _ method: RPCMethod<Request, Response>,
        _ body: @escaping @Sendable (Request, ServerContext) async throws -> Response
    ) -> ServerMethod {
        ServerMethod(descriptor: method.descriptor) { stream, context in
            let request = try await receiveSingle(Request.self, from: stream)
            let response = try await body(request, context)
            try await stream.send(message: response, compressed: context.compressResponses)
        }
    }

    /// A client-streaming method: many requests, one response.
    public static func clientStreaming<Request, Response>(
        _ method: RPCMethod<Request, Response>,
        _ body: @escaping @Sendable (RequestStream<Request>, ServerContext) async throws -> Response
    ) -> ServerMethod {
        ServerMethod(descriptor: method.descriptor) { stream, context in
            let response = try await body(RequestStream(stream), context)
            try await stream.send(message: response, compressed: context.compressResponses)
        }
    }

    /// A server-streaming method: one request, many responses.
    public static func serverStreaming<Request, Response>(
        _ method: RPCMethod<Request, Response>,
        _ body: @escaping @Sendable (Request, ResponseWriter<Response>, ServerContext) async throws -> Void
    ) -> ServerMethod {
        ServerMethod(descriptor: method.descriptor) { stream, context in
            let request = try await receiveSingle(Request.self, from: stream)
            try await body(request, ResponseWriter(stream, context: context), context)
        }
    }

    /// A bidirectional-streaming method: many requests and many responses, interleaved.
    public static func bidirectionalStreaming<Request, Response>(
        _ method: RPCMethod<Request, Response>,
        _ body: @escaping @Sendable (RequestStream<Request>, ResponseWriter<Response>, ServerContext) async throws -> Void
    ) -> ServerMethod {
        ServerMethod(descriptor: method.descriptor) { stream, context in
            try await body(RequestStream(stream), ResponseWriter(stream, context: context), context)
        }
    }

    /// Takes exactly one request message: gRPC requires it for unary and server-streaming calls.
    private static func receiveSingle<Message: ProtoMessage>(_ type: Message.Type,
                                                             from stream: any ServerCallStream) async throws -> Message {
        guard let received = try await stream.receive() else {
            throw Status(.internalError, "protocol violation: expected one request message, the client sent none")
        }
        guard try await stream.receive() == nil else {
            throw Status(.internalError, "protocol violation: expected one request message, the client sent more")
        }
        return try Message.decodeRequest(received.bytes)
    }
}

/// A set of methods a server routes to.
public protocol RPCService: Sendable {
    /// The service's methods with their handlers.
    var methods: [ServerMethod] { get }
}

/// Runs before a call's handler, in order; may reject the call by throwing a `Status`, or attach
/// values to the context. Calling `next` runs the rest of the chain and the handler.
public protocol ServerInterceptor: Sendable {
    func intercept(context: ServerContext, next: @Sendable () async throws -> Void) async throws
}
