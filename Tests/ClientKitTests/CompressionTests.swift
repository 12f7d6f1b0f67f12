import ClientKit
import XCTest

/// gzip in both directions, message by message, and requests compressed only while the server
/// has not said it cannot take gzip.
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

    func testGzipIsKeptOnceTheServerSaidItAcceptsGzip() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel()
        let request = Blob([UInt8](repeating: 2, count: 20_000))
        for _ in 0..<2 {
            let response = try await channel.unary(ProbeService.Method.echo, request, options: CallOptions(compression: .gzip))
            XCTAssertEqual(response.message, request)
        }
        XCTAssertEqual(server.probe.values("echo.compressed"), ["true", "true"])
        await channel.close()
        await server.stop()
    }

    func testGzipCallsGoUncompressedOnceTheServerSaidItAcceptsOnlyIdentity() async throws {
        let server = try await IdentityOnlyServer.start()
        let channel = try GRPCChannel(target: server.address, tls: nil)
        let request = Blob([UInt8](repeating: 3, count: 20_000))
        let gzip = CallOptions(compression: .gzip)

        // Nothing known yet: compressed as asked, and this server refuses it (surfaced as is).
        let refused = await failureStatus { try await channel.unary(ProbeService.Method.echo, request, options: gzip) }
        XCTAssertEqual(refused?.code, .unimplemented)

        // That answer said `grpc-accept-encoding: identity`: from now on nothing is compressed on
        // this connection, and no `grpc-encoding` header claims otherwise.
        let response = try await channel.unary(ProbeService.Method.echo, request, options: gzip)
        XCTAssertEqual(response.message, request)
        let chat = try await channel.bidirectionalStreaming(ProbeService.Method.chat, options: gzip)
        for text in ["a", "b", "c"] { try await chat.send(Blob(text)) }
        try await chat.closeSend()
        var answers: [String] = []
        for try await answer in chat { answers.append(answer.text) }
        XCTAssertEqual(answers, ["a", "b", "c"])

        XCTAssertEqual(server.requests, [
            IdentityOnlyServer.Request(encoding: "gzip", compressedFlags: [true]),
            IdentityOnlyServer.Request(encoding: nil, compressedFlags: [false]),
            IdentityOnlyServer.Request(encoding: nil, compressedFlags: [false, false, false]),
        ])
        XCTAssertEqual(server.acceptedConnections, 1, "all on one connection")
        await channel.close()
        await server.stop()
    }
}
