import ClientKit
import XCTest

/// gzip in both directions, message by message.
final class CompressionTests: XCTestCase {
    func testRequestsAreCompressedWhenTheCallAsks() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel()
        let request = Blob([UInt8](repeating: 0, count: 100_000))
        let response = try await channel.unary(ProbeService.Method.echo, request, options: CallOptions(compression: .gzip))
        XCTAssertEqual(response.message, request)
        _ = try await channel.unary(ProbeService.Method.echo, request)
        XCTAssertEqual(server.probe.values("echo.compressed"), ["true", "false"])
        await channel.close()
        await server.stop()
    }

    func testCompressedResponsesAreDecompressedAndFlagged() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel()
        let request = Blob([UInt8](repeating: 1, count: 50_000))
        let call = try await channel.makeCall(ProbeService.Method.echo.descriptor, metadata: ["x-compress-response": "1"],
                                              options: CallOptions())
        try await call.send(request.bytes, compressed: false)
        try await call.closeSend()
        let flagged = try XCTUnwrap(call as? any ResponseMessageReceiving)
        let message = try await flagged.receiveMessage()
        XCTAssertEqual(message?.wasCompressed, true)
        XCTAssertEqual(message?.bytes, request.bytes)
        let status = await call.status()
        XCTAssertEqual(status.code, .ok)
        await channel.close()
        await server.stop()
    }
}
