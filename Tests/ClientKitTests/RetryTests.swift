import ClientKit
import XCTest

/// Unary calls that fail with UNAVAILABLE are retried only when the method is safe to repeat.
final class RetryTests: XCTestCase {
    private func quickRetries(_ configuration: inout ChannelConfiguration) {
        configuration.retryPolicy = RetryPolicy(maxAttempts: 4, initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(50))
    }

    func testAnIdempotentMethodIsRetriedUntilItSucceeds() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel(quickRetries)
        let response = try await channel.unary(ProbeService.Method.flakyRead, Blob([2]))
        XCTAssertEqual(response.message.text, "ok after 3")
        XCTAssertEqual(server.probe.count("flakyRead"), 3)
        await channel.close()
        await server.stop()
    }

    func testRetriesStopAtMaxAttempts() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel(quickRetries)
        let status = await failureStatus { try await channel.unary(ProbeService.Method.flakyRead, Blob([100])) }
        XCTAssertEqual(status?.code, .unavailable)
        XCTAssertEqual(server.probe.count("flakyRead"), 4)
        await channel.close()
        await server.stop()
    }

    func testANonIdempotentMethodIsNotRetried() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel(quickRetries)
        let status = await failureStatus { try await channel.unary(ProbeService.Method.flakyWrite, Blob()) }
        XCTAssertEqual(status?.code, .unavailable)
        XCTAssertEqual(server.probe.count("flakyWrite"), 1)
        await channel.close()
        await server.stop()
    }

    func testCallOptionsCanMarkACallRetryable() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel(quickRetries)
        _ = await failureStatus {
            try await channel.unary(ProbeService.Method.flakyWrite, Blob(), options: CallOptions(retryable: true))
        }
        XCTAssertEqual(server.probe.count("flakyWrite"), 4)
        await channel.close()
        await server.stop()
    }

    func testRetriesNeverRunPastTheDeadline() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel {
            $0.retryPolicy = RetryPolicy(maxAttempts: 10, initialBackoff: .milliseconds(400), maxBackoff: .seconds(5))
        }
        let started = ContinuousClock.now
        _ = await failureStatus {
            try await channel.unary(ProbeService.Method.flakyRead, Blob([100]), options: CallOptions(timeout: .milliseconds(300)))
        }
        XCTAssertLessThan(ContinuousClock.now - started, .milliseconds(600))
        await channel.close()
        await server.stop()
    }

    func testBackoffIsExponentialWithFullJitter() {
        let policy = RetryPolicy()
        XCTAssertEqual(policy.backoffCeiling(beforeRetry: 1), .milliseconds(100))
        XCTAssertEqual(policy.backoffCeiling(beforeRetry: 2), .milliseconds(200))
        XCTAssertEqual(policy.backoffCeiling(beforeRetry: 3), .milliseconds(400))
        XCTAssertEqual(policy.backoffCeiling(beforeRetry: 10), .seconds(5))
        for retry in 1...6 {
            let delay = policy.backoff(beforeRetry: retry)
            XCTAssertGreaterThanOrEqual(delay, .zero)
            XCTAssertLessThanOrEqual(delay, policy.backoffCeiling(beforeRetry: retry))
        }
    }
}
