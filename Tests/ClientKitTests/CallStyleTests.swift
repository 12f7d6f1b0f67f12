import ClientKit
import XCTest

/// The four call styles against our own server over one channel.
final class CallStyleTests: XCTestCase {
    func testAUnaryCallReturnsTheServersAnswer() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel()
        let response = try await channel.unary(ProbeService.Method.echo, Blob("hello"))
        XCTAssertEqual(response.message.text, "hello")
        await channel.close()
        await server.stop()
    }

    func testAServerStreamingCallDeliversEveryMessageInOrder() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel()
        let call = try await channel.serverStreaming(ProbeService.Method.expand, Blob([5]))
        var received: [UInt8] = []
        for try await message in call { received.append(contentsOf: message.bytes) }
        XCTAssertEqual(received, [0, 1, 2, 3, 4])
        let status = await call.status()
        XCTAssertEqual(status.code, .ok)
        await channel.close()
        await server.stop()
    }

    func testAClientStreamingCallSendsManyRequestsAndGetsOneAnswer() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel()
        let call = try await channel.clientStreaming(ProbeService.Method.collect)
        for size in [27182, 8, 1828, 45904] {
            try await call.send(Blob([UInt8](repeating: 0, count: size)))
        }
        let response = try await call.finish()
        XCTAssertEqual(response.message.text, "74922")
        await channel.close()
        await server.stop()
    }

    func testABidirectionalCallGetsEachAnswerBeforeSendingTheNextRequest() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel()
        let call = try await channel.bidirectionalStreaming(ProbeService.Method.chat)
        var responses = call.makeAsyncIterator()
        for word in ["ping", "pong", "again"] {
            try await call.send(Blob(word))
            let answer = try await responses.next()
            XCTAssertEqual(answer?.text, word)
        }
        try await call.closeSend()
        let end = try await responses.next()
        XCTAssertNil(end)
        let status = await call.status()
        XCTAssertEqual(status.code, .ok)
        await channel.close()
        await server.stop()
    }

    func testAnEmptyStreamEndsCleanlyInBothDirections() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel()
        let call = try await channel.bidirectionalStreaming(ProbeService.Method.chat)
        try await call.closeSend()
        var count = 0
        for try await _ in call { count += 1 }
        XCTAssertEqual(count, 0)
        let status = await call.status()
        XCTAssertEqual(status.code, .ok)
        await channel.close()
        await server.stop()
    }

    func testACallToAMethodTheServerDoesNotHaveIsUnimplemented() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel()
        let missing = RPCMethod<Blob, Blob>(MethodDescriptor(service: ProbeService.name, method: "Nope", type: .unary))
        let status = await failureStatus { try await channel.unary(missing, Blob()) }
        XCTAssertEqual(status?.code, .unimplemented, "\(String(describing: status))")
        await channel.close()
        await server.stop()
    }
}
