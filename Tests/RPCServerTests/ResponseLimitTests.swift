import ClientKit
import Generated
import RPCCore
import XCTest
@testable import RPCServer

/// Responses over the server's send limit end the call with RESOURCE_EXHAUSTED, whether the
/// handler hands over a typed message (encoded straight into the stream) or raw bytes, and the
/// bytes of the refused message never reach the client.
final class ResponseLimitTests: XCTestCase {
    private struct SizedService: RPCService {
        var methods: [ServerMethod] {
            [
                .unary(Grpc_Testing_TestService.Method.unaryCall) { request, _ in
                    Grpc_Testing_SimpleResponse.with {
                        $0.payload = Grpc_Testing_Payload.with { $0.body = [UInt8](repeating: 7, count: Int(request.responseSize)) }
                    }
                },
                .serverStreaming(Grpc_Testing_TestService.Method.streamingOutputCall) { request, responses, _ in
                    for parameters in request.responseParameters {
                        try await responses.write(Grpc_Testing_StreamingOutputCallResponse.with {
                            $0.payload = Grpc_Testing_Payload.with { $0.body = [UInt8](repeating: 1, count: Int(parameters.size)) }
                        })
                    }
                },
                ServerMethod(descriptor: Grpc_Testing_TestService.Method.emptyCall.descriptor) { stream, _ in
                    _ = try await stream.receive()
                    try await stream.send([UInt8](repeating: 0, count: 2000), compressed: false)
                },
            ]
        }
    }

    private var server: Server!
    private var channel: GRPCChannel!
    private var client: Grpc_Testing_TestServiceClient!

    override func setUp() async throws {
        var configuration = ServerConfiguration(address: SocketAddress(host: "127.0.0.1", port: 0), tls: nil, eventLoopCount: 1)
        configuration.limits.maxSendMessageBytes = 1000
        server = try Server(configuration: configuration, services: [SizedService()], log: Logger(component: "test", minimumLevel: .error))
        try await server.start()
        channel = try GRPCChannel(target: SocketAddress(host: "127.0.0.1", port: server.port), tls: nil)
        client = Grpc_Testing_TestServiceClient(channel: channel)
    }

    override func tearDown() async throws {
        await channel.close()
        await server.shutdown(grace: .seconds(1))
    }

    func testATypedResponseUpToTheLimitGoesAndOneOverItFails() async throws {
        // 990 payload bytes encode to 996 (tags and lengths): within 1000.
        let fits = try await client.unaryCall(Grpc_Testing_SimpleRequest.with { $0.responseSize = 990 })
        XCTAssertEqual(fits.payload?.body.count, 990)
        do {
            _ = try await client.unaryCall(Grpc_Testing_SimpleRequest.with { $0.responseSize = 1000 })
            XCTFail("a 1006-byte response went out under a 1000-byte limit")
        } catch let status as Status {
            XCTAssertEqual(status.code, .resourceExhausted)
            XCTAssertEqual(status.message, "response message of 1006 bytes exceeds the limit of 1000 bytes")
        }
    }

    func testAStreamKeepsWhatWentBeforeTheMessageOverTheLimit() async throws {
        let request = Grpc_Testing_StreamingOutputCallRequest.with {
            $0.responseParameters = [10, 20, 5000, 30].map { size in Grpc_Testing_ResponseParameters.with { $0.size = Int32(size) } }
        }
        var sizes: [Int] = []
        do {
            for try await response in try await client.streamingOutputCall(request) {
                sizes.append(response.payload?.body.count ?? 0)
            }
            XCTFail("the stream ended normally")
        } catch let status as Status {
            XCTAssertEqual(status.code, .resourceExhausted, status.message)
        }
        XCTAssertEqual(sizes, [10, 20])
    }

    func testRawBytesOverTheLimitFailToo() async throws {
        do {
            _ = try await client.emptyCall(Grpc_Testing_Empty())
            XCTFail("2000 raw bytes went out under a 1000-byte limit")
        } catch let status as Status {
            XCTAssertEqual(status.code, .resourceExhausted)
            XCTAssertEqual(status.message, "response message of 2000 bytes exceeds the limit of 1000 bytes")
        }
    }
}
