import Generated
import RPCCore
import Synchronization
import XCTest

/// Service namespaces, method descriptors with their options, providers and typed clients.
final class ServiceDescriptorTests: XCTestCase {
    typealias Service = Medexpress_Testing_V1_CodegenTestService

    func testServiceDescriptorListsMethodsInDeclarationOrder() {
        XCTAssertEqual(Grpc_Testing_TestService.descriptor.fullName, "grpc.testing.TestService")
        XCTAssertEqual(Grpc_Testing_TestService.descriptor.methods.map(\.method), [
            "EmptyCall", "UnaryCall", "CacheableUnaryCall", "StreamingOutputCall", "StreamingInputCall",
            "FullDuplexCall", "HalfDuplexCall", "UnimplementedCall",
        ])
        XCTAssertEqual(Grpc_Testing_TestService.Method.unaryCall.descriptor.path, "/grpc.testing.TestService/UnaryCall")
        XCTAssertEqual(Grpc_Testing_UnimplementedService.descriptor.methods.map(\.path),
                       ["/grpc.testing.UnimplementedService/UnimplementedCall"])
    }

    func testCallStylesFollowTheStreamKeywords() {
        XCTAssertEqual(Service.Method.getPrescription.descriptor.type, .unary)
        XCTAssertEqual(Service.Method.watchPrescriptions.descriptor.type, .serverStreaming)
        XCTAssertEqual(Service.Method.uploadPrescriptions.descriptor.type, .clientStreaming)
        XCTAssertEqual(Service.Method.syncPrescriptions.descriptor.type, .bidirectionalStreaming)
        XCTAssertEqual(Grpc_Reflection_V1_ServerReflection.Method.serverReflectionInfo.descriptor.type, .bidirectionalStreaming)
    }

    func testIdempotencyLevelsMarkMethodsIdempotent() {
        XCTAssertTrue(Service.Method.getPrescription.descriptor.isIdempotent, "NO_SIDE_EFFECTS")
        XCTAssertTrue(Service.Method.`public`.descriptor.isIdempotent, "IDEMPOTENT")
        XCTAssertFalse(Service.Method.approvePrescription.descriptor.isIdempotent)
        XCTAssertFalse(Grpc_Testing_TestService.Method.unaryCall.descriptor.isIdempotent)
    }

    func testCustomOptionKeepsItsNumberNameAndEncodedValue() {
        // AuthRule { roles: [PRESCRIBER, PHARMACIST] }: field 1, packed, two varints.
        XCTAssertEqual(Service.Method.approvePrescription.descriptor.customOptions, [
            CustomOption(fieldNumber: 50001, name: "medexpress.v1.auth", value: [0x0a, 0x02, 0x03, 0x04]),
        ])
        XCTAssertEqual(Service.Method.`public`.descriptor.customOption(fieldNumber: 50001)?.value, [0x10, 0x01])
        XCTAssertEqual(Service.Method.getPrescription.descriptor.customOptions, [])
    }

    func testAuthAccessorDecodesTheOption() {
        XCTAssertEqual(Service.Method.approvePrescription.descriptor.medexpress_v1_auth,
                       .with { $0.roles = [.prescriber, .pharmacist] })
        XCTAssertEqual(Service.Method.`public`.descriptor.medexpress_v1_auth, .with { $0.`public` = true })
        XCTAssertNil(Service.Method.getPrescription.descriptor.medexpress_v1_auth)
    }

    func testProviderMethodsRouteEachCallStyleToItsRequirement() async throws {
        let provider = EchoProvider()
        XCTAssertEqual(provider.methods.map(\.descriptor), Service.descriptor.methods)

        let unary = try XCTUnwrap(provider.methods.first { $0.descriptor.method == "GetPrescription" })
        let stream = FakeServerCallStream(requests: [Medexpress_Testing_V1_GetPrescriptionRequest.with { $0.id = "rx-7" }.encoded()])
        try await unary.handler(stream, context(for: unary.descriptor))
        XCTAssertEqual(try stream.sentMessages().map { try Prescription(decoding: $0) }, [.with { $0.id = "rx-7" }])

        let bidi = try XCTUnwrap(provider.methods.first { $0.descriptor.method == "SyncPrescriptions" })
        let requests = [Prescription.with { $0.id = "a" }, Prescription.with { $0.id = "b" }]
        let bidiStream = FakeServerCallStream(requests: requests.map { $0.encoded() })
        try await bidi.handler(bidiStream, context(for: bidi.descriptor))
        XCTAssertEqual(try bidiStream.sentMessages().map { try Prescription(decoding: $0) }, requests)

        let upload = try XCTUnwrap(provider.methods.first { $0.descriptor.method == "UploadPrescriptions" })
        let uploadStream = FakeServerCallStream(requests: requests.map { $0.encoded() })
        try await upload.handler(uploadStream, context(for: upload.descriptor))
        XCTAssertEqual(uploadStream.sentMessages(), [[]], "one empty google.protobuf.Empty")
    }

    func testUndecodableRequestsAreInvalidArgument() async throws {
        let unary = try XCTUnwrap(EchoProvider().methods.first { $0.descriptor.method == "GetPrescription" })
        let stream = FakeServerCallStream(requests: [[0x0a, 0x01, 0xff]])
        do {
            try await unary.handler(stream, context(for: unary.descriptor))
            XCTFail("accepted invalid UTF-8")
        } catch let status as Status {
            XCTAssertEqual(status.code, .invalidArgument)
        }
    }

    func testClientSendsTheEncodedRequestAndDecodesTheResponse() async throws {
        let channel = FakeChannel(response: Prescription.with { $0.id = "from server" }.encoded())
        let client = Medexpress_Testing_V1_CodegenTestServiceClient(channel: channel)
        let response = try await client.getPrescription(.with { $0.id = "rx-1" }, metadata: ["x-trace": "1"])
        XCTAssertEqual(response.id, "from server")
        XCTAssertEqual(channel.calls(), ["/medexpress.testing.v1.CodegenTestService/GetPrescription"])
        XCTAssertEqual(channel.sent(), [Medexpress_Testing_V1_GetPrescriptionRequest.with { $0.id = "rx-1" }.encoded()])
    }

    private func context(for method: MethodDescriptor) -> ServerContext {
        ServerContext(method: method, requestMetadata: [:], deadline: nil,
                      peer: PeerInfo(address: "127.0.0.1:1", isSecure: false, certificate: nil), requestID: "test")
    }
}

/// Answers every call style with what it was sent.
private struct EchoProvider: Medexpress_Testing_V1_CodegenTestServiceProvider {
    func getPrescription(_ request: Medexpress_Testing_V1_GetPrescriptionRequest, context: ServerContext) async throws -> Prescription {
        .with { $0.id = request.id }
    }

    func approvePrescription(_ request: Medexpress_Testing_V1_ApprovePrescriptionRequest, context: ServerContext) async throws -> Prescription {
        .with { $0.id = request.id }
    }

    func `public`(_ request: Google_Protobuf_Empty, context: ServerContext) async throws -> Google_Protobuf_Empty {
        request
    }

    func watchPrescriptions(_ request: Medexpress_Testing_V1_GetPrescriptionRequest, responses: ResponseWriter<Prescription>,
                            context: ServerContext) async throws {
        try await responses.write(.with { $0.id = request.id })
    }

    func uploadPrescriptions(_ requests: RequestStream<Prescription>, context: ServerContext) async throws -> Google_Protobuf_Empty {
        for try await _ in requests {}
        return Google_Protobuf_Empty()
    }

    func syncPrescriptions(_ requests: RequestStream<Prescription>, responses: ResponseWriter<Prescription>,
                           context: ServerContext) async throws {
        for try await request in requests { try await responses.write(request) }
    }
}

/// A call whose requests are given up front and whose responses are recorded.
final class FakeServerCallStream: ServerCallStream {
    private let state: Mutex<(requests: [[UInt8]], sent: [[UInt8]])>

    init(requests: [[UInt8]]) {
        state = Mutex((requests, []))
    }

    func receive() async throws -> ReceivedMessage? {
        state.withLock { state in
            state.requests.isEmpty ? nil : ReceivedMessage(bytes: state.requests.removeFirst(), wasCompressed: false)
        }
    }

    func send(_ message: [UInt8], compressed: Bool) async throws {
        state.withLock { $0.sent.append(message) }
    }

    func sentMessages() -> [[UInt8]] { state.withLock { $0.sent } }
}

/// A channel whose calls all answer `response` with OK.
private final class FakeChannel: RPCChannel {
    private let response: [UInt8]
    private let log = Mutex<(paths: [String], sent: [[UInt8]])>(([], []))

    init(response: [UInt8]) { self.response = response }

    func makeCall(_ method: MethodDescriptor, metadata: Metadata, options: CallOptions) async throws -> any ClientCallStream {
        log.withLock { $0.paths.append(method.path) }
        return Call(channel: self)
    }

    func calls() -> [String] { log.withLock { $0.paths } }
    func sent() -> [[UInt8]] { log.withLock { $0.sent } }

    private final class Call: ClientCallStream {
        let channel: FakeChannel
        let delivered = Atomic<Bool>(false)

        init(channel: FakeChannel) { self.channel = channel }

        func send(_ message: [UInt8], compressed: Bool) async throws { channel.log.withLock { $0.sent.append(message) } }
        func closeSend() async throws {}
        func initialMetadata() async throws -> Metadata { [:] }
        func receive() async throws -> [UInt8]? {
            delivered.exchange(true, ordering: .relaxed) ? nil : channel.response
        }
        func status() async -> Status { .ok }
        func cancel() {}
    }
}
