import ClientKit
import Generated
import RPCCore
import Synchronization
import XCTest
@testable import RPCServer

/// A handler sees `context.isCancelled` turn true when its call ends under it: the deadline
/// passing, or the client going away.
final class ContextCancellationTests: XCTestCase {
    /// What the handler saw once its wait was interrupted.
    private final class Sightings: Sendable {
        let seen = Mutex<[Bool]>([])
        func record(_ value: Bool) { seen.withLock { $0.append(value) } }
        var values: [Bool] { seen.withLock { $0 } }
    }

    private struct WaitingService: RPCService {
        let sightings: Sightings
        var methods: [ServerMethod] {
            [
                .unary(Grpc_Testing_TestService.Method.emptyCall) { _, context in
                    let before = context.isCancelled
                    try? await Task.sleep(for: .seconds(10))
                    sightings.record(before)
                    sightings.record(context.isCancelled)
                    return Grpc_Testing_Empty()
                },
            ]
        }
    }

    func testTheContextIsCancelledWhenTheDeadlinePassesAndWhenTheClientCancels() async throws {
        let sightings = Sightings()
        let configuration = ServerConfiguration(address: SocketAddress(host: "127.0.0.1", port: 0), tls: nil, eventLoopCount: 1)
        let server = try Server(configuration: configuration, services: [WaitingService(sightings: sightings)],
                                log: Logger(component: "test", minimumLevel: .error))
        try await server.start()
        let channel = try GRPCChannel(target: SocketAddress(host: "127.0.0.1", port: server.port), tls: nil)
        let client = Grpc_Testing_TestServiceClient(channel: channel)

        var options = CallOptions()
        options.timeout = .milliseconds(200)
        do {
            _ = try await client.emptyCall(Grpc_Testing_Empty(), options: options)
            XCTFail("the call outlived its deadline")
        } catch let status as Status {
            XCTAssertEqual(status.code, .deadlineExceeded)
        }
        try await waitUntil { sightings.values.count == 2 }
        XCTAssertEqual(sightings.values, [false, true], "before the wait, then after the deadline")

        let call = Task { try await client.emptyCall(Grpc_Testing_Empty()) }
        try await Task.sleep(for: .milliseconds(200))
        call.cancel()
        _ = await call.result
        try await waitUntil { sightings.values.count == 4 }
        XCTAssertEqual(Array(sightings.values[2...]), [false, true], "before the wait, then after the client cancelled")

        await channel.close()
        await server.shutdown(grace: .seconds(1))
    }

    private func waitUntil(_ condition: () -> Bool) async throws {
        let limit = ContinuousClock.now + .seconds(5)
        while !condition() {
            guard ContinuousClock.now < limit else { return XCTFail("timed out waiting") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
