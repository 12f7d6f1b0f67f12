import ClientKit
import XCTest

/// After a failed connection attempt the channel backs off (gRPC's connection-backoff spec):
/// calls fail at once until the wait has passed, the first call after it connects again, the
/// wait grows up to its cap, and a connection that comes up starts it over.
final class ConnectionBackoffTests: XCTestCase {
    func testTheDefaultsAreTheSpecsValues() {
        let backoff = ChannelConfiguration().connectionBackoff
        XCTAssertEqual(backoff.initialBackoff, .seconds(1))
        XCTAssertEqual(backoff.multiplier, 1.6)
        XCTAssertEqual(backoff.jitter, 0.2)
        XCTAssertEqual(backoff.maxBackoff, .seconds(120))
        XCTAssertEqual(backoff.minConnectTimeout, .seconds(20))
    }

    func testEachWaitGrowsByTheMultiplierWithinTheJitterUpToTheCap() {
        let backoff = ConnectionBackoff()
        XCTAssertEqual(backoff.backoff(afterAttempt: 1), .seconds(1), "the spec's first wait has no jitter")
        var expectedSeconds = 1.0
        for attempt in 2...30 {
            expectedSeconds = min(expectedSeconds * 1.6, 120)
            XCTAssertEqual(backoff.baseBackoff(afterAttempt: attempt) / .seconds(1), expectedSeconds, accuracy: 1e-6)
            for _ in 0..<20 {
                let seconds = backoff.backoff(afterAttempt: attempt) / .seconds(1)
                XCTAssertGreaterThanOrEqual(seconds, expectedSeconds * 0.8 - 1e-6, "attempt \(attempt)")
                XCTAssertLessThanOrEqual(seconds, expectedSeconds * 1.2 + 1e-6, "attempt \(attempt)")
            }
        }
        // 1.6^10 ≈ 110 s, 1.6^11 ≈ 176 s: the twelfth wait is the first at the cap.
        XCTAssertLessThan(backoff.baseBackoff(afterAttempt: 11), .seconds(120))
        XCTAssertEqual(backoff.baseBackoff(afterAttempt: 12), .seconds(120))
        XCTAssertEqual(backoff.connectTimeout(forBackoff: .seconds(1)), .seconds(20), "an attempt gets at least 20 s")
        XCTAssertEqual(backoff.connectTimeout(forBackoff: .seconds(100)), .seconds(100), "or its backoff when longer")
    }

    func testACallDuringTheBackoffFailsAtOnceWithoutConnectingAndTheFirstAfterItConnects() async throws {
        let target = try closedPort()
        let channel = try GRPCChannel(target: target, tls: nil, configuration: Self.configuration(
            ConnectionBackoff(initialBackoff: .seconds(1), jitter: 0)))
        let started = ContinuousClock.now

        let first = await failureStatus { try await channel.unary(ProbeService.Method.echo, Blob("first")) }
        XCTAssertEqual(first?.code, .unavailable)
        let firstMessage = first?.message ?? ""
        XCTAssertFalse(firstMessage.contains("backing off"), "the first call made a real attempt: \(firstMessage)")
        let connectError = try XCTUnwrap(firstMessage.components(separatedBy: "cannot connect to \(target): ").last)
        XCTAssertTrue(connectError.contains("connect") && connectError.contains("refused"), "the socket's own error: \(connectError)")

        // A server appears, but the channel must not try it before the backoff has passed.
        let server = try await IdentityOnlyServer.start(port: target.port)
        let second = await failureStatus { try await channel.unary(ProbeService.Method.echo, Blob("second")) }
        try await Task.sleep(for: .milliseconds(50))
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(1), "the test outran the backoff window")
        XCTAssertEqual(second?.code, .unavailable)
        let message = second?.message ?? ""
        XCTAssertTrue(message.contains("not connecting to \(target) yet: backing off after 1 failed connection attempt"), message)
        XCTAssertTrue(message.contains("the next attempt is allowed in "), message)
        XCTAssertTrue(message.hasSuffix("last error: \(connectError)"), message)
        XCTAssertEqual(server.acceptedConnections, 0, "a call during the backoff opened a TCP connection")

        try await Task.sleep(until: started + .seconds(1) + .milliseconds(100))
        let answer = try await channel.unary(ProbeService.Method.echo, Blob("third")).message.text
        XCTAssertEqual(answer, "third")
        XCTAssertEqual(server.acceptedConnections, 1)
        await channel.close()
        await server.stop()
    }

    func testTheWaitBetweenAttemptsGrowsAndIsCapped() async throws {
        // Without jitter attempts are 100 ms, then 250 ms (100 × 4 capped at 250) apart; uncapped
        // the gaps would be 400 ms and 1.6 s.
        let channel = try GRPCChannel(target: try closedPort(), tls: nil, configuration: Self.configuration(
            ConnectionBackoff(initialBackoff: .milliseconds(100), multiplier: 4, jitter: 0, maxBackoff: .milliseconds(250))))
        let attempts = await Self.connectAttempts(on: channel, count: 4)
        XCTAssertEqual(attempts.count, 4)
        guard attempts.count == 4 else { return }
        let gaps = (1..<4).map { attempts[$0].end - attempts[$0 - 1].start }
        XCTAssertGreaterThanOrEqual(gaps[0], .milliseconds(100), "\(gaps)")
        XCTAssertLessThan(gaps[0], .milliseconds(250), "\(gaps)")
        for gap in gaps[1...] {
            XCTAssertGreaterThanOrEqual(gap, .milliseconds(250), "the wait grew by the multiplier: \(gaps)")
            XCTAssertLessThan(gap, .milliseconds(400), "the wait stopped at maxBackoff: \(gaps)")
        }
        await channel.close()
    }

    func testAConnectionThatComesUpStartsTheBackoffOver() async throws {
        let target = try closedPort()
        // Without jitter: 60 ms after one failure, 300 ms after two, 1.5 s after three.
        let channel = try GRPCChannel(target: target, tls: nil, configuration: Self.configuration(
            ConnectionBackoff(initialBackoff: .milliseconds(60), multiplier: 5, jitter: 0, maxBackoff: .seconds(5))))
        let failed = await Self.connectAttempts(on: channel, count: 2)
        XCTAssertEqual(failed.count, 2)
        let server = try await TestServer.start(port: target.port)
        let connected = await Self.poll { (try? await channel.unary(ProbeService.Method.echo, Blob("up"))) != nil }
        XCTAssertTrue(connected, "the channel never connected to the server")
        await server.stop()

        // The server is gone again: the next refused connect counts as the first failure.
        var refusal: Status?
        let backingOff = await Self.poll {
            refusal = await failureStatus { try await channel.unary(ProbeService.Method.echo, Blob()) }
            return refusal?.message.contains("backing off") ?? false
        }
        XCTAssertTrue(backingOff, "\(String(describing: refusal))")
        let message = refusal?.message ?? ""
        XCTAssertTrue(message.contains("backing off after 1 failed connection attempt;"), message)
        let waitStart = ContinuousClock.now
        let next = await Self.connectAttempts(on: channel, count: 1)
        XCTAssertEqual(next.count, 1)
        if let attempt = next.first {
            XCTAssertLessThan(attempt.end - waitStart, .milliseconds(500), "the 60 ms wait, not the 1.5 s of a third failure")
        }
        await channel.close()
    }

    func testAFailedNameLookupAlsoStartsTheBackoff() async throws {
        var configuration = ChannelConfiguration()
        configuration.connectionBackoff = ConnectionBackoff(initialBackoff: .seconds(5))
        let channel = try GRPCChannel(target: SocketAddress(host: "no-such-host.invalid", port: 443),
                                      tls: TLSConfiguration.client(), configuration: configuration)
        let first = await failureStatus { try await channel.unary(ProbeService.Method.echo, Blob()) }
        XCTAssertTrue(first?.message.contains("name resolution failed") ?? false, "\(String(describing: first))")
        let second = await failureStatus { try await channel.unary(ProbeService.Method.echo, Blob()) }
        XCTAssertEqual(second?.code, .unavailable)
        let message = second?.message ?? ""
        XCTAssertTrue(message.contains("backing off"), message)
        XCTAssertTrue(message.contains("last error: name resolution failed"), message)
        await channel.close()
    }

    // MARK: Helpers

    private static func configuration(_ backoff: ConnectionBackoff) -> ChannelConfiguration {
        var configuration = ChannelConfiguration()
        configuration.connectionBackoff = backoff
        configuration.retryPolicy = .disabled
        return configuration
    }

    /// Runs `condition` every few milliseconds until it holds or 3 s have passed; whether it held.
    private static func poll(_ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(3)
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    /// Calls `channel` (whose target refuses connections) every few milliseconds and returns when
    /// each call that made a real connection attempt began and ended — calls refused by the
    /// backoff say "backing off" and are skipped — until `count` attempts or 3 s have passed.
    private static func connectAttempts(on channel: GRPCChannel, count: Int)
        async -> [(start: ContinuousClock.Instant, end: ContinuousClock.Instant)] {
        var attempts: [(start: ContinuousClock.Instant, end: ContinuousClock.Instant)] = []
        let deadline = ContinuousClock.now + .seconds(3)
        while attempts.count < count, ContinuousClock.now < deadline {
            let start = ContinuousClock.now
            let status = await failureStatus { try await channel.unary(ProbeService.Method.echo, Blob()) }
            if let status, status.code == .unavailable, !status.message.contains("backing off") {
                attempts.append((start, ContinuousClock.now))
            }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return attempts
    }
}
