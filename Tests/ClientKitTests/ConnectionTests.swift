import ClientKit
import XCTest

/// The channel's connections: shared by concurrent calls, reopened after the server went away,
/// watched by keepalive, closed with the channel.
final class ConnectionTests: XCTestCase {
    func testManyConcurrentCallsShareOneConnection() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel()
        let answers = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<300 {
                group.addTask { try await channel.unary(ProbeService.Method.echo, Blob("call \(index)")).message.text }
            }
            var answers = Set<String>()
            for try await answer in group { answers.insert(answer) }
            return answers
        }
        XCTAssertEqual(answers.count, 300)
        XCTAssertEqual(Set(server.probe.values("echo.peer")).count, 1, "every call used the same connection")
        await channel.close()
        await server.stop()
    }

    func testAPoolSpreadsBusyCallsOverSeveralConnections() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel { $0.connections = 2 }
        let first = try await channel.bidirectionalStreaming(ProbeService.Method.chat)
        try await first.send(Blob("a"))
        var firstAnswers = first.makeAsyncIterator()
        _ = try await firstAnswers.next()
        for index in 0..<4 { _ = try await channel.unary(ProbeService.Method.echo, Blob("\(index)")) }
        XCTAssertEqual(Set(server.probe.values("echo.peer")).count, 1, "calls go to the idle second connection")
        try await first.closeSend()
        _ = await first.status()
        await channel.close()
        await server.stop()
    }

    func testCallsTheServerRefusedUnprocessedAreReplayedTransparently() async throws {
        // Until its SETTINGS arrive the client may open 100 streams; this server takes one at a
        // time and refuses the rest of the first burst with REFUSED_STREAM.
        let server = try await TestServer.start { $0.http2.maxConcurrentStreams = 1 }
        let channel = try server.channel()
        let answers = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<5 {
                group.addTask { try await channel.unary(ProbeService.Method.echo, Blob("\(index)")).message.text }
            }
            var answers: [String] = []
            for try await answer in group { answers.append(answer) }
            return answers.sorted()
        }
        XCTAssertEqual(answers, ["0", "1", "2", "3", "4"])
        XCTAssertEqual(server.probe.count("echo"), 5, "each call was processed once")
        await channel.close()
        await server.stop()
    }

    func testTheChannelReconnectsAfterTheServerRestartsOnTheSamePort() async throws {
        let first = try await TestServer.start()
        let port = first.port
        let channel = try first.channel()
        _ = try await channel.unary(ProbeService.Method.echo, Blob("before"))
        await first.stop()
        let second = try await TestServer.start(port: port)
        let response = try await channel.unary(ProbeService.Method.echo, Blob("after"))
        XCTAssertEqual(response.message.text, "after")
        XCTAssertEqual(second.probe.count("echo"), 1)
        await channel.close()
        await second.stop()
    }

    func testAnIdempotentCallRidesOutAShortOutage() async throws {
        let first = try await TestServer.start()
        let port = first.port
        let channel = try first.channel {
            $0.retryPolicy = RetryPolicy(maxAttempts: 8, initialBackoff: .milliseconds(50), maxBackoff: .milliseconds(200))
            // Retries made while the channel backs off from a refused connect fail at once: the
            // outage a call rides out is bounded by the connection backoff as well.
            $0.connectionBackoff = ConnectionBackoff(initialBackoff: .milliseconds(50), multiplier: 1,
                                                     maxBackoff: .milliseconds(50))
        }
        _ = try await channel.unary(ProbeService.Method.flakyRead, Blob([0]))
        await first.stop()
        let call = Task { try await channel.unary(ProbeService.Method.flakyRead, Blob([0])) }
        try await Task.sleep(for: .milliseconds(150))
        let second = try await TestServer.start(port: port)
        let response = try await call.value
        XCTAssertEqual(response.message.text, "ok after 1")
        await channel.close()
        await second.stop()
    }

    func testAServerThatIsDownFailsCallsWithUnavailable() async throws {
        let channel = try GRPCChannel(target: try closedPort(), tls: nil)
        let status = await failureStatus { try await channel.unary(ProbeService.Method.echo, Blob()) }
        XCTAssertEqual(status?.code, .unavailable)
        await channel.close()
    }

    func testAServerThatNeverSpeaksHTTP2FailsTheCallAfterTheConnectTimeout() async throws {
        let blackHole = try BlackHole()
        var configuration = ChannelConfiguration()
        configuration.connectionBackoff = ConnectionBackoff(initialBackoff: .milliseconds(200),
                                                            minConnectTimeout: .milliseconds(200))
        let channel = try GRPCChannel(target: blackHole.address, tls: nil, configuration: configuration)
        let status = await failureStatus { try await channel.unary(ProbeService.Method.echo, Blob()) }
        XCTAssertEqual(status?.code, .unavailable)
        XCTAssertTrue(status?.message.contains("SETTINGS") ?? false, "\(String(describing: status))")
        await channel.close()
    }

    func testKeepaliveDeclaresASilentConnectionDead() async throws {
        let blackHole = try BlackHole()
        var configuration = ChannelConfiguration()
        configuration.keepaliveInterval = .milliseconds(100)
        configuration.keepaliveTimeout = .milliseconds(100)
        let channel = try GRPCChannel(target: blackHole.address, tls: nil, configuration: configuration)
        let status = await failureStatus { try await channel.unary(ProbeService.Method.echo, Blob()) }
        XCTAssertEqual(status?.code, .unavailable)
        XCTAssertTrue(status?.message.contains("keepalive") ?? false, "\(String(describing: status))")
        await channel.close()
    }

    func testKeepalivePingsKeepAHealthyLongCallAlive() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel {
            $0.keepaliveInterval = .milliseconds(50)
            $0.keepaliveTimeout = .milliseconds(200)
        }
        let call = try await channel.bidirectionalStreaming(ProbeService.Method.chat)
        var answers = call.makeAsyncIterator()
        for index in 0..<4 {
            try await Task.sleep(for: .milliseconds(150))
            try await call.send(Blob("\(index)"))
            let answer = try await answers.next()
            XCTAssertEqual(answer?.text, "\(index)")
        }
        try await call.closeSend()
        let status = await call.status()
        XCTAssertEqual(status.code, .ok)
        await channel.close()
        await server.stop()
    }

    func testPlaintextIsRefusedForATargetOffTheMachine() {
        XCTAssertThrowsError(try GRPCChannel(target: SocketAddress(host: "203.0.113.7", port: 443), tls: nil)) { error in
            XCTAssertEqual((error as? Status)?.code, .invalidArgument)
        }
    }

    func testCloseWaitsForCallsInProgressAndRefusesNewOnes() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel()
        let call = try await channel.bidirectionalStreaming(ProbeService.Method.chat)
        try await call.send(Blob("still here"))
        let closing = Task { await channel.close() }
        try await Task.sleep(for: .milliseconds(50))
        let refused = await failureStatus { try await channel.unary(ProbeService.Method.echo, Blob()) }
        XCTAssertEqual(refused?.code, .unavailable)
        var answers = call.makeAsyncIterator()
        let answer = try await answers.next()
        XCTAssertEqual(answer?.text, "still here")
        try await call.closeSend()
        let status = await call.status()
        XCTAssertEqual(status.code, .ok)
        await closing.value
        await server.stop()
    }
}

/// A target given by name is resolved off the event loop.
final class NameResolutionTests: XCTestCase {
    func testATargetNamedLocalhostConnects() async throws {
        let server = try await TestServer.start()
        let channel = try GRPCChannel(target: SocketAddress(host: "localhost", port: server.port), tls: nil)
        let answer = try await channel.unary(ProbeService.Method.echo, Blob("by name")).message.text
        XCTAssertEqual(answer, "by name")
        await channel.close()
        await server.stop()
    }

    func testAnUnresolvableNameFailsTheCallWithUnavailable() async throws {
        let channel = try GRPCChannel(target: SocketAddress(host: "no-such-host.invalid", port: 443),
                                      tls: TLSConfiguration.client())
        do {
            _ = try await channel.unary(ProbeService.Method.echo, Blob("nobody"), options: CallOptions(timeout: .seconds(10)))
            XCTFail("a call to an unresolvable host succeeded")
        } catch let status as Status {
            XCTAssertEqual(status.code, .unavailable, "\(status)")
            XCTAssertTrue(status.message.contains("name resolution failed"), status.message)
        }
        await channel.close()
    }
}

/// Closing a channel waits for calls in progress, but only for its grace period.
final class ChannelCloseTests: XCTestCase {
    func testCloseCutsOffACallThatOutlivesTheGracePeriod() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel()
        let call = try await channel.bidirectionalStreaming(ProbeService.Method.hangStream)
        try await call.send(Blob("hello"))
        let started = ContinuousClock.now
        await channel.close(grace: .milliseconds(200))
        let elapsed = ContinuousClock.now - started
        XCTAssertLessThan(elapsed, .seconds(5), "close waited \(elapsed) for a call that never ends")
        let status = await call.status()
        XCTAssertEqual(status.code, .unavailable, "\(status)")
        await server.stop()
    }
}
