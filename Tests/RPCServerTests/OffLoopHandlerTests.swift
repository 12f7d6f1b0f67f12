import ClientKit
import Generated
import RPCCore
import XCTest
@testable import RPCServer

/// Handlers may hand their streams to tasks that do not run on the connection's loop (a
/// detached task, say): the stream's operations must then still run on the loop.
final class OffLoopHandlerTests: XCTestCase {
    private struct OffLoopService: RPCService {
        var methods: [ServerMethod] {
            [
                .serverStreaming(Grpc_Testing_TestService.Method.streamingOutputCall) { request, responses, _ in
                    try await Task.detached {
                        for parameters in request.responseParameters {
                            var response = Grpc_Testing_StreamingOutputCallResponse()
                            response.payload = Grpc_Testing_Payload.with { $0.body = [UInt8](repeating: 1, count: Int(parameters.size)) }
                            try await responses.write(response)
                        }
                    }.value
                },
                .clientStreaming(Grpc_Testing_TestService.Method.streamingInputCall) { requests, _ in
                    let total = try await Task.detached {
                        var total = 0
                        for try await request in requests { total += request.payload?.body.count ?? 0 }
                        return total
                    }.value
                    return Grpc_Testing_StreamingInputCallResponse.with { $0.aggregatedPayloadSize = Int32(total) }
                },
            ]
        }
    }

    func testStreamsUsedFromDetachedTasksWork() async throws {
        var configuration = ServerConfiguration(address: SocketAddress(host: "127.0.0.1", port: 0), tls: nil, eventLoopCount: 1)
        configuration.limits.maxOutboundBytesPerCall = 4096
        let server = try Server(configuration: configuration, services: [OffLoopService()],
                                log: Logger(component: "test", minimumLevel: .error))
        try await server.start()
        let channel = try GRPCChannel(target: SocketAddress(host: "127.0.0.1", port: server.port), tls: nil)
        let client = Grpc_Testing_TestServiceClient(channel: channel)

        // 200 responses of 1 KiB through a 4 KiB outbound queue: the writer waits for the loop.
        let request = Grpc_Testing_StreamingOutputCallRequest.with {
            $0.responseParameters = (0..<200).map { _ in Grpc_Testing_ResponseParameters.with { $0.size = 1024 } }
        }
        var received = 0
        for try await response in try await client.streamingOutputCall(request) {
            XCTAssertEqual(response.payload?.body.count, 1024)
            received += 1
        }
        XCTAssertEqual(received, 200)

        let upload = try await client.streamingInputCall()
        for _ in 0..<100 {
            try await upload.send(Grpc_Testing_StreamingInputCallRequest.with {
                $0.payload = Grpc_Testing_Payload.with { $0.body = [UInt8](repeating: 2, count: 500) }
            })
        }
        let summary = try await upload.finish()
        XCTAssertEqual(summary.message.aggregatedPayloadSize, 50_000)

        await channel.close()
        await server.shutdown(grace: .seconds(1))
    }
}
