import Generated
import RPCCore
@testable import RPCServer
import XCTest

/// A load balancer or orchestrator asking the server whether it (or one of its services) is serving.
final class HealthServiceTests: XCTestCase {
    typealias ServingStatus = Grpc_Health_V1_HealthCheckResponse.ServingStatus

    func testTheServerAsAWholeIsServingFromTheStart() async throws {
        let health = HealthService()
        let response = try await health.check(.with { $0.service = "" }, context: makeContext(Grpc_Health_V1_Health.Method.check))
        XCTAssertEqual(response.status, .serving)
    }

    func testCheckingAnUnknownServiceIsNotFound() async throws {
        let health = HealthService()
        do {
            _ = try await health.check(.with { $0.service = "medexpress.v1.Orders" }, context: makeContext(Grpc_Health_V1_Health.Method.check))
            XCTFail("an unknown service was reported")
        } catch let status as Status {
            XCTAssertEqual(status.code, .notFound)
        }
    }

    func testCheckReportsTheStatusLastSet() async throws {
        let health = HealthService()
        health.setStatus(.notServing, forService: "medexpress.v1.Orders")
        health.setStatus(.serving, forService: "medexpress.v1.Orders")
        let response = try await health.check(.with { $0.service = "medexpress.v1.Orders" }, context: makeContext(Grpc_Health_V1_Health.Method.check))
        XCTAssertEqual(response.status, .serving)
        health.clearStatus(forService: "medexpress.v1.Orders")
        XCTAssertNil(health.status(ofService: "medexpress.v1.Orders"))
    }

    func testListReturnsEveryKnownService() async throws {
        let health = HealthService()
        health.setStatus(.serving, forService: "a")
        health.setStatus(.notServing, forService: "b")
        let response = try await health.list(Grpc_Health_V1_HealthListRequest(), context: makeContext(Grpc_Health_V1_Health.Method.list))
        XCTAssertEqual(response.statuses.mapValues(\.status), ["": .serving, "a": .serving, "b": .notServing])
    }

    func testWatchSendsTheCurrentStatusThenEachChange() async throws {
        let health = HealthService()
        health.setStatus(.serving, forService: "orders")
        let watch = WatchCall(health: health, service: "orders")
        try await watch.expect(.serving)
        health.setStatus(.notServing, forService: "orders")
        try await watch.expect(.notServing)
        health.setStatus(.serving, forService: "orders")
        try await watch.expect(.serving)
        XCTAssertEqual(health.watcherCount, 1)
        watch.cancel()
        try await watch.waitUntilEnded()
        XCTAssertEqual(health.watcherCount, 0, "a cancelled watch unregisters")
    }

    func testWatchingAnUnknownServiceReportsServiceUnknownAndWaitsForIt() async throws {
        let health = HealthService()
        let watch = WatchCall(health: health, service: "pharmacy")
        try await watch.expect(.serviceUnknown)
        health.setStatus(.serving, forService: "pharmacy")
        try await watch.expect(.serving)
        health.clearStatus(forService: "pharmacy")
        try await watch.expect(.serviceUnknown)
        watch.cancel()
        try await watch.waitUntilEnded()
    }

    func testShutdownMakesEverythingNotServingAndEndsWatches() async throws {
        let health = HealthService()
        health.setStatus(.serving, forService: "orders")
        let watch = WatchCall(health: health, service: "orders")
        try await watch.expect(.serving)
        health.enterShutdown()
        try await watch.expect(.notServing)
        try await watch.waitUntilEnded()
        XCTAssertEqual(health.allStatuses, ["": .notServing, "orders": .notServing])
        health.setStatus(.serving, forService: "orders")
        XCTAssertEqual(health.status(ofService: "orders"), .notServing, "ignored after shutdown")

        let late = WatchCall(health: health, service: "orders")
        try await late.expect(.notServing)
        try await late.waitUntilEnded()
        XCTAssertEqual(health.watcherCount, 0)
    }

    func testTheProviderRoutesCheckListAndWatch() {
        XCTAssertEqual(HealthService().methods.map(\.descriptor.path),
                       ["/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/List", "/grpc.health.v1.Health/Watch"])
    }
}

/// One Watch call running against a recording stream.
private final class WatchCall: Sendable {
    private let task: Task<Void, any Error>
    private let sent: RecordingCallStream

    init(health: HealthService, service: String) {
        let stream = RecordingCallStream()
        let context = makeContext(Grpc_Health_V1_Health.Method.watch)
        sent = stream
        task = Task {
            try await health.watch(.with { $0.service = service }, responses: ResponseWriter(stream, context: context), context: context)
        }
    }

    /// Waits for the next status sent.
    func expect(_ status: Grpc_Health_V1_HealthCheckResponse.ServingStatus, file: StaticString = #filePath, line: UInt = #line) async throws {
        let bytes = try await sent.next()
        XCTAssertEqual(try Grpc_Health_V1_HealthCheckResponse(decoding: bytes).status, status, file: file, line: line)
    }

    func cancel() { task.cancel() }

    func waitUntilEnded() async throws {
        _ = await task.result
    }
}

/// Records sent messages and hands them out in order, waiting up to two seconds for each.
final class RecordingCallStream: ServerCallStream {
    private let messages: AsyncStream<[UInt8]>
    private let continuation: AsyncStream<[UInt8]>.Continuation

    init() {
        (messages, continuation) = AsyncStream.makeStream(of: [UInt8].self)
    }

    func receive() async throws -> ReceivedMessage? { nil }

    func send(_ message: [UInt8], compressed: Bool) async throws {
        continuation.yield(message)
    }

    func next() async throws -> [UInt8] {
        let stream = messages
        return try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
            group.addTask {
                var iterator = stream.makeAsyncIterator()
                return await iterator.next()
            }
            group.addTask {
                try await Task.sleep(for: .seconds(2))
                return nil
            }
            guard let first = try await group.next(), let message = first else {
                group.cancelAll()
                throw Status(.deadlineExceeded, "no message within two seconds")
            }
            group.cancelAll()
            return message
        }
    }
}

func makeContext<Request, Response>(_ method: RPCMethod<Request, Response>, metadata: Metadata = [:]) -> ServerContext {
    ServerContext(method: method.descriptor, requestMetadata: metadata, deadline: nil,
                  peer: PeerInfo(address: "127.0.0.1:50000", isSecure: false, certificate: nil), requestID: "test")
}
