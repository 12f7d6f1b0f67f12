import ClientKit
import XCTest

/// A call that runs out of time, or is cancelled, ends on both sides.
final class DeadlineAndCancellationTests: XCTestCase {
    func testAnExpiredDeadlineEndsTheCallOnTheClientAndTheServer() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel()
        let started = ContinuousClock.now
        let status = await failureStatus {
            try await channel.unary(ProbeService.Method.hang, Blob(), options: CallOptions(timeout: .milliseconds(200)))
        }
        XCTAssertEqual(status?.code, .deadlineExceeded)
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(2))
        let handlerCancelled = await eventually { server.probe.count("hang.cancelled") == 1 }
        XCTAssertTrue(handlerCancelled, "the server's handler saw the deadline pass")
        await channel.close()
        await server.stop()
    }

    func testTheDeadlineIsEnforcedLocallyWhenTheServerNeverAnswers() async throws {
        let blackHole = try BlackHole()
        let channel = try GRPCChannel(target: blackHole.address, tls: nil)
        let started = ContinuousClock.now
        let status = await failureStatus {
            try await channel.unary(ProbeService.Method.echo, Blob(), options: CallOptions(timeout: .milliseconds(150)))
        }
        XCTAssertEqual(status?.code, .deadlineExceeded)
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(2))
        await channel.close()
    }

    func testCancellingAStreamingCallCancelsTheServersHandler() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel()
        let call = try await channel.bidirectionalStreaming(ProbeService.Method.hangStream)
        try await call.send(Blob("x"))
        let handlerStarted = await eventually { server.probe.count("hang.started") == 1 }
        XCTAssertTrue(handlerStarted)
        call.cancel()
        let status = await call.status()
        XCTAssertEqual(status.code, .cancelled)
        let handlerCancelled = await eventually { server.probe.count("hang.cancelled") == 1 }
        XCTAssertTrue(handlerCancelled, "RST_STREAM(CANCEL) reached the handler")
        await channel.close()
        await server.stop()
    }

    func testCancellingTheWaitingTaskCancelsTheCall() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel()
        let task = Task { try await channel.unary(ProbeService.Method.hang, Blob()) }
        let handlerStarted = await eventually { server.probe.count("hang.started") == 1 }
        XCTAssertTrue(handlerStarted)
        task.cancel()
        let status = await failureStatus { try await task.value }
        XCTAssertEqual(status?.code, .cancelled)
        let handlerCancelled = await eventually { server.probe.count("hang.cancelled") == 1 }
        XCTAssertTrue(handlerCancelled)
        await channel.close()
        await server.stop()
    }
}
