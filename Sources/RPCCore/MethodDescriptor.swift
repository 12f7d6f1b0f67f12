/// The four call styles of gRPC.
public enum RPCType: Sendable, Hashable {
    case unary
    case clientStreaming
    case serverStreaming
    case bidirectionalStreaming

    /// Whether the client sends a stream of messages.
    public var isRequestStreaming: Bool { self == .clientStreaming || self == .bidirectionalStreaming }
    /// Whether the server sends a stream of messages.
    public var isResponseStreaming: Bool { self == .serverStreaming || self == .bidirectionalStreaming }
}

/// A custom option declared on a method in its .proto file, kept as its encoded value.
public struct CustomOption: Sendable, Hashable {
    /// The extension's field number on `google.protobuf.MethodOptions`.
    public let fieldNumber: Int
    /// The extension's full name, e.g. `medexpress.v1.auth`.
    public let name: String
    /// The option's value as encoded on the wire: the message bytes for message-typed options,
    /// the varint or fixed bytes otherwise.
    public let value: [UInt8]

    public init(fieldNumber: Int, name: String, value: [UInt8]) {
        self.fieldNumber = fieldNumber
        self.name = name
        self.value = value
    }
}

/// A description of a method on a service.
public struct MethodDescriptor: Sendable, Hashable {
    /// The fully qualified service name, e.g. `grpc.testing.TestService`.
    public let service: String
    /// The method name, e.g. `UnaryCall`.
    public let method: String
    /// The call style.
    public let type: RPCType
    /// Whether the method is declared free of side effects or idempotent, so a client may retry it.
    public let isIdempotent: Bool
    /// The method's custom options, in declaration order.
    public let customOptions: [CustomOption]
    /// The HTTP/2 `:path` of the method.
    public let path: String

    public init(service: String, method: String, type: RPCType, isIdempotent: Bool = false,
                customOptions: [CustomOption] = []) {
        self.service = service
        self.method = method
        self.type = type
        self.isIdempotent = isIdempotent
        self.customOptions = customOptions
        self.path = "/\(service)/\(method)"
    }

    /// The encoded value of a custom option, if the method declares it.
    public func customOption(fieldNumber: Int) -> CustomOption? {
        customOptions.first { $0.fieldNumber == fieldNumber }
    }
}

/// A method together with its request and response message types.
public struct RPCMethod<Request: ProtoMessage, Response: ProtoMessage>: Sendable, Hashable {
    /// The untyped description.
    public let descriptor: MethodDescriptor

    public init(_ descriptor: MethodDescriptor) {
        self.descriptor = descriptor
    }
}

/// A description of a service and its methods.
public struct ServiceDescriptor: Sendable, Hashable {
    /// The fully qualified service name.
    public let fullName: String
    /// The service's methods, in declaration order.
    public let methods: [MethodDescriptor]

    public init(fullName: String, methods: [MethodDescriptor]) {
        self.fullName = fullName
        self.methods = methods
    }
}
