import ClientKit
import XCTest

/// The client's limits: a response larger than allowed fails the call instead of filling memory.
final class LimitTests: XCTestCase {
    func testAResponseOverTheReceiveLimitIsResourceExhausted() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel { $0.maxReceiveMessageBytes = 64 * 1024 }
        let fits = try await channel.unary(ProbeService.Method.big, Blob("65536"))
        XCTAssertEqual(fits.message.bytes.count, 65536)
        let status = await failureStatus { try await channel.unary(ProbeService.Method.big, Blob("65537")) }
        XCTAssertEqual(status?.code, .resourceExhausted)
        await channel.close()
        await server.stop()
    }

    func testLargeMessagesFlowBothWaysThroughFlowControl() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel()
        let request = Blob([UInt8](repeating: 3, count: 3 * 1024 * 1024))
        let response = try await channel.unary(ProbeService.Method.echo, request)
        XCTAssertEqual(response.message, request)
        await channel.close()
        await server.stop()
    }
}
