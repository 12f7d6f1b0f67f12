import ClientKit
import Synchronization
import XCTest

/// Client interceptors run in order before a call, may add metadata or reject it, and see how it ended.
final class InterceptorTests: XCTestCase {
    /// Lines written by interceptors, in order.
    final class EventLog: Sendable {
        private let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    /// Adds a header and writes what it sees to a shared log.
    struct Tagger: ClientInterceptor {
        let name: String
        let log: EventLog

        init(_ name: String, log: EventLog) {
            self.name = name
            self.log = log
        }

        func intercept(method: MethodDescriptor, metadata: inout Metadata, options: inout CallOptions) async throws {
            log.append("\(name) sees \(metadata["x-chain"] ?? "-")")
            metadata.replace("x-chain", (metadata["x-chain"].map { $0 + "," } ?? "") + name)
        }

        func callFinished(method: MethodDescriptor, status: Status, elapsed: Duration) async {
            log.append("\(name) finished \(method.method) \(status.code)")
        }
    }

    /// Rejects calls to one method.
    struct Gate: ClientInterceptor {
        func intercept(method: MethodDescriptor, metadata: inout Metadata, options: inout CallOptions) async throws {
            if method.method == "FlakyWrite" { throw Status(.permissionDenied, "writes are disabled on this client") }
        }
    }

    func testInterceptorsRunInOrderAndObserveTheFinalStatus() async throws {
        let server = try await TestServer.start()
        let log = EventLog()
        let channel = try server.channel {
            $0.interceptors = [Tagger("first", log: log), Tagger("second", log: log)]
        }
        _ = try await channel.unary(ProbeService.Method.echo, Blob())
        XCTAssertTrue(server.probe.values("echo.metadata").contains("x-chain=first,second"))
        XCTAssertEqual(log.all, ["first sees -", "second sees first", "second finished Echo ok", "first finished Echo ok"])
        await channel.close()
        await server.stop()
    }

    func testInterceptorsSeeHowAStreamingCallEnded() async throws {
        let server = try await TestServer.start()
        let log = EventLog()
        let channel = try server.channel { $0.interceptors = [Tagger("only", log: log)] }
        let call = try await channel.bidirectionalStreaming(ProbeService.Method.chat)
        try await call.closeSend()
        for try await _ in call {}
        let finished = await eventually { log.all.contains("only finished Chat ok") }
        XCTAssertTrue(finished, "\(log.all)")
        await channel.close()
        await server.stop()
    }

    func testAnInterceptorCanRejectACallBeforeItIsSent() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel { $0.interceptors = [Gate()] }
        let status = await failureStatus { try await channel.unary(ProbeService.Method.flakyWrite, Blob()) }
        XCTAssertEqual(status?.code, .permissionDenied)
        XCTAssertEqual(server.probe.count("flakyWrite"), 0)
        await channel.close()
        await server.stop()
    }
}
