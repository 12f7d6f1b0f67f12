import Generated
import RPCCore

/// gRPC server reflection (https://github.com/grpc/grpc/blob/master/doc/server-reflection.md),
/// answered from the descriptors generated code embeds. Serves `grpc.reflection.v1` and, for older
/// clients, `grpc.reflection.v1alpha`, whose messages are the same on the wire.
public struct ReflectionService: Sendable {
    /// The most requests one reflection stream may make; a client needs a few per service it explores.
    public static let maxRequestsPerStream = 10_000

    /// The fully qualified names of the services the server serves, as `list_services` reports them.
    public let serviceNames: [String]
    /// The descriptors served.
    public let descriptors: EmbeddedDescriptorSet

    public init(serviceNames: [String], descriptors: EmbeddedDescriptorSet = EmbeddedDescriptors.all) {
        self.serviceNames = serviceNames
        self.descriptors = descriptors
    }

    /// The v1 and v1alpha reflection services, listing `serviceNames` as the server's services.
    public static func services(serving serviceNames: [String],
                                descriptors: EmbeddedDescriptorSet = EmbeddedDescriptors.all) -> [any RPCService] {
        let reflection = ReflectionService(serviceNames: serviceNames, descriptors: descriptors)
        return [ReflectionV1Service(reflection: reflection), ReflectionV1AlphaService(reflection: reflection)]
    }

    /// Answers one request. `sentFiles` holds the files this stream has already sent: a requested
    /// file is always sent, its dependencies only once per stream.
    func answer(_ request: Grpc_Reflection_V1_ServerReflectionRequest,
                sentFiles: inout Set<String>) -> Grpc_Reflection_V1_ServerReflectionResponse {
        var response = Grpc_Reflection_V1_ServerReflectionResponse()
        response.validHost = request.host
        response.originalRequest = request
        switch request.messageRequest {
        case .listServices:
            response.listServicesResponse = .with { list in
                list.service = serviceNames.map { name in .with { $0.name = name } }
            }
        case .fileByFilename(let name):
            response.messageResponse = files(descriptors.file(named: name), sentFiles: &sentFiles,
                                             notFound: "file \"\(name)\" not found")
        case .fileContainingSymbol(let symbol):
            response.messageResponse = files(descriptors.file(containingSymbol: symbol), sentFiles: &sentFiles,
                                             notFound: "symbol \"\(symbol)\" not found")
        case .fileContainingExtension(let request):
            response.messageResponse = files(
                descriptors.file(containingExtension: Int(request.extensionNumber), of: request.containingType),
                sentFiles: &sentFiles,
                notFound: "extension \(request.extensionNumber) of \"\(request.containingType)\" not found")
        case .allExtensionNumbersOfType(let type):
            if let numbers = descriptors.extensionNumbers(of: type) {
                response.allExtensionNumbersResponse = .with {
                    $0.baseTypeName = type.hasPrefix(".") ? String(type.dropFirst()) : type
                    $0.extensionNumber = numbers.map { Int32($0) }
                }
            } else {
                response.messageResponse = error(.notFound, "type \"\(type)\" not found")
            }
        case nil:
            response.messageResponse = error(.invalidArgument, "the request sets none of message_request")
        }
        return response
    }

    private func files(_ file: EmbeddedFileDescriptor?, sentFiles: inout Set<String>,
                       notFound: String) -> Grpc_Reflection_V1_ServerReflectionResponse.OneOf_MessageResponse {
        guard let file else { return error(.notFound, notFound) }
        var serialized: [[UInt8]] = []
        for (index, descriptor) in descriptors.fileWithDependencies(file.name).enumerated()
        where index == 0 || !sentFiles.contains(descriptor.name) {
            sentFiles.insert(descriptor.name)
            serialized.append(descriptor.serializedProto)
        }
        return .fileDescriptorResponse(.with { $0.fileDescriptorProto = serialized })
    }

    private func error(_ code: Status.Code, _ message: String) -> Grpc_Reflection_V1_ServerReflectionResponse.OneOf_MessageResponse {
        .errorResponse(.with {
            $0.errorCode = Int32(code.rawValue)
            $0.errorMessage = message
        })
    }

    /// Answers each request of one stream in order.
    func serve<Request: ProtoMessage, Response: ProtoMessage>(
        _ requests: RequestStream<Request>, responses: ResponseWriter<Response>,
        convertRequest: (Request) throws -> Grpc_Reflection_V1_ServerReflectionRequest,
        convertResponse: (Grpc_Reflection_V1_ServerReflectionResponse) throws -> Response
    ) async throws {
        var sentFiles: Set<String> = []
        var count = 0
        for try await request in requests {
            count += 1
            guard count <= Self.maxRequestsPerStream else {
                throw Status(.resourceExhausted, "more than \(Self.maxRequestsPerStream) requests on one reflection stream")
            }
            try await responses.write(try convertResponse(answer(try convertRequest(request), sentFiles: &sentFiles)))
        }
    }
}

/// `grpc.reflection.v1.ServerReflection`.
struct ReflectionV1Service: Grpc_Reflection_V1_ServerReflectionProvider {
    let reflection: ReflectionService

    func serverReflectionInfo(_ requests: RequestStream<Grpc_Reflection_V1_ServerReflectionRequest>,
                              responses: ResponseWriter<Grpc_Reflection_V1_ServerReflectionResponse>,
                              context: ServerContext) async throws {
        try await reflection.serve(requests, responses: responses, convertRequest: { $0 }, convertResponse: { $0 })
    }
}

/// `grpc.reflection.v1alpha.ServerReflection`: the v1 answers, carried over by their wire encoding
/// (both versions declare the same messages with the same field numbers).
struct ReflectionV1AlphaService: Grpc_Reflection_V1alpha_ServerReflectionProvider {
    let reflection: ReflectionService

    func serverReflectionInfo(_ requests: RequestStream<Grpc_Reflection_V1alpha_ServerReflectionRequest>,
                              responses: ResponseWriter<Grpc_Reflection_V1alpha_ServerReflectionResponse>,
                              context: ServerContext) async throws {
        try await reflection.serve(
            requests, responses: responses,
            convertRequest: { try Grpc_Reflection_V1_ServerReflectionRequest(decoding: $0.encoded()) },
            convertResponse: { try Grpc_Reflection_V1alpha_ServerReflectionResponse(decoding: $0.encoded()) })
    }
}
