import Generated
import RPCCore
@testable import RPCServer
import Synchronization
import XCTest

/// A developer exploring the server with grpcurl or a grpcio reflection client.
final class ReflectionServiceTests: XCTestCase {
    typealias Request = Grpc_Reflection_V1_ServerReflectionRequest
    typealias Response = Grpc_Reflection_V1_ServerReflectionResponse

    private let served = ["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.testing.TestService"]
    private var reflection: ReflectionService { ReflectionService(serviceNames: served) }

    private func ask(_ request: Request, sentFiles: inout Set<String>) -> Response {
        reflection.answer(request, sentFiles: &sentFiles)
    }

    private func fileNames(_ response: Response) throws -> [String] {
        guard case .fileDescriptorResponse(let files)? = response.messageResponse else {
            XCTFail("not a file descriptor response: \(response)")
            return []
        }
        return try files.fileDescriptorProto.map { bytes in
            let name = try XCTUnwrap(reflection.descriptors.files.first { $0.serializedProto == bytes }?.name)
            return name
        }
    }

    private func errorCode(_ response: Response) -> Int32? {
        guard case .errorResponse(let error)? = response.messageResponse else { return nil }
        return error.errorCode
    }

    func testListingServicesNamesTheServedServices() {
        var sent: Set<String> = []
        let response = ask(.with { $0.host = "localhost:50051"; $0.listServices = "*" }, sentFiles: &sent)
        XCTAssertEqual(response.listServicesResponse.service.map(\.name), served)
        XCTAssertEqual(response.validHost, "localhost:50051")
        XCTAssertEqual(response.originalRequest?.listServices, "*")
    }

    func testAFileComesWithItsDependenciesOncePerStream() throws {
        var sent: Set<String> = []
        let first = try fileNames(ask(.with { $0.fileByFilename = "grpc/testing/test.proto" }, sentFiles: &sent))
        XCTAssertEqual(first.first, "grpc/testing/test.proto")
        XCTAssertEqual(Set(first), ["grpc/testing/test.proto", "grpc/testing/empty.proto", "grpc/testing/messages.proto"])

        let again = try fileNames(ask(.with { $0.fileByFilename = "grpc/testing/test.proto" }, sentFiles: &sent))
        XCTAssertEqual(again, ["grpc/testing/test.proto"], "the file asked for is always sent, its dependencies once")

        let dependency = try fileNames(ask(.with { $0.fileByFilename = "grpc/testing/messages.proto" }, sentFiles: &sent))
        XCTAssertEqual(dependency, ["grpc/testing/messages.proto"])

        var fresh: Set<String> = []
        XCTAssertEqual(try fileNames(ask(.with { $0.fileByFilename = "grpc/testing/test.proto" }, sentFiles: &fresh)).count, 3,
                       "a new stream starts afresh")
    }

    func testSymbolsFindTheirFiles() throws {
        for (symbol, file) in [
            ("grpc.testing.TestService", "grpc/testing/test.proto"),
            ("grpc.testing.TestService.UnaryCall", "grpc/testing/test.proto"),
            ("grpc.testing.SimpleRequest", "grpc/testing/messages.proto"),
            ("grpc.health.v1.HealthCheckResponse.ServingStatus", "grpc/health/v1/health.proto"),
            ("medexpress.testing.v1.Prescription.Item.Dose", "medexpress/testing/v1/codegen_test.proto"),
            ("medexpress.v1.auth", "medexpress/v1/options.proto"),
        ] {
            var sent: Set<String> = []
            XCTAssertEqual(try fileNames(ask(.with { $0.fileContainingSymbol = symbol }, sentFiles: &sent)).first, file, symbol)
        }
    }

    func testUnknownNamesAreNotFound() {
        var sent: Set<String> = []
        XCTAssertEqual(errorCode(ask(.with { $0.fileContainingSymbol = "grpc.testing.Nope" }, sentFiles: &sent)), 5)
        XCTAssertEqual(errorCode(ask(.with { $0.fileByFilename = "nope.proto" }, sentFiles: &sent)), 5)
        XCTAssertEqual(errorCode(ask(.with {
            $0.fileContainingExtension = .with { $0.containingType = "google.protobuf.MethodOptions"; $0.extensionNumber = 1 }
        }, sentFiles: &sent)), 5)
        XCTAssertEqual(errorCode(ask(.with { $0.allExtensionNumbersOfType = "no.such.Type" }, sentFiles: &sent)), 5)
        XCTAssertTrue(sent.isEmpty)
    }

    func testARequestWithoutAQuestionIsInvalid() {
        var sent: Set<String> = []
        XCTAssertEqual(errorCode(ask(Request(), sentFiles: &sent)), 3)
    }

    func testExtensionsAreFoundByTypeAndNumber() throws {
        var sent: Set<String> = []
        let file = try fileNames(ask(.with {
            $0.fileContainingExtension = .with { $0.containingType = "google.protobuf.MethodOptions"; $0.extensionNumber = 50001 }
        }, sentFiles: &sent))
        XCTAssertEqual(file.first, "medexpress/v1/options.proto")
        XCTAssertTrue(file.contains("google/protobuf/descriptor.proto"))

        let numbers = ask(.with { $0.allExtensionNumbersOfType = "google.protobuf.MethodOptions" }, sentFiles: &sent)
        XCTAssertEqual(numbers.allExtensionNumbersResponse.baseTypeName, "google.protobuf.MethodOptions")
        XCTAssertEqual(numbers.allExtensionNumbersResponse.extensionNumber, [50001])
    }

    func testBothVersionsAreServed() {
        let services = ReflectionService.services(serving: served)
        XCTAssertEqual(services.flatMap { $0.methods.map(\.descriptor.path) }, [
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        ])
    }

    func testTheV1alphaStreamAnswersInV1alphaMessages() async throws {
        let services = ReflectionService.services(serving: served)
        let method = try XCTUnwrap(services.flatMap(\.methods).first { $0.descriptor.service == "grpc.reflection.v1alpha.ServerReflection" })
        let requests: [Grpc_Reflection_V1alpha_ServerReflectionRequest] = [
            .with { $0.listServices = "" },
            .with { $0.fileContainingSymbol = "grpc.health.v1.Health" },
            .with { $0.fileContainingSymbol = "grpc.health.v1.Nope" },
        ]
        let stream = ScriptedCallStream(requests: requests.map { $0.encoded() })
        try await method.handler(stream, ServerContext(
            method: method.descriptor, requestMetadata: [:], deadline: nil,
            peer: PeerInfo(address: "127.0.0.1:1", isSecure: false, certificate: nil), requestID: "test"))
        let responses = try stream.sent().map { try Grpc_Reflection_V1alpha_ServerReflectionResponse(decoding: $0) }
        XCTAssertEqual(responses.count, 3)
        XCTAssertEqual(responses[0].listServicesResponse.service.map(\.name), served)
        XCTAssertEqual(responses[1].fileDescriptorResponse.fileDescriptorProto.count, 1)
        XCTAssertEqual(responses[1].originalRequest?.fileContainingSymbol, "grpc.health.v1.Health")
        XCTAssertEqual(responses[2].errorResponse.errorCode, 5)
    }
}

/// A call whose requests are given up front and whose responses are recorded.
private final class ScriptedCallStream: ServerCallStream {
    private let state: Mutex<(requests: [[UInt8]], sent: [[UInt8]])>

    init(requests: [[UInt8]]) { state = Mutex((requests, [])) }

    func receive() async throws -> ReceivedMessage? {
        state.withLock { $0.requests.isEmpty ? nil : ReceivedMessage(bytes: $0.requests.removeFirst(), wasCompressed: false) }
    }

    func send(_ message: [UInt8], compressed: Bool) async throws {
        state.withLock { $0.sent.append(message) }
    }

    func sent() -> [[UInt8]] { state.withLock { $0.sent } }
}
