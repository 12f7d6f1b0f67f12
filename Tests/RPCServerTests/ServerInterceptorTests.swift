import ClientKit
import Generated
import RPCCore
import Synchronization
import XCTest
@testable import RPCServer

/// The server's interceptor chain: ordered, able to reject a call before its handler runs, and
/// able to hand values to the handler through the context.
final class ServerInterceptorTests: XCTestCase {
    private enum CallerName: ServerContextKey {
        typealias Value = String
    }

    /// Records the order interceptors and handlers run in.
    private final class Journal: Sendable {
        private let entries = Mutex<[String]>([])
        func add(_ entry: String) { entries.withLock { $0.append(entry) } }
        var all: [String] { entries.withLock { $0 } }
    }

    private struct Recording: ServerInterceptor {
        let name: String
        let journal: Journal
        func intercept(context: ServerContext, next: @Sendable () async throws -> Void) async throws {
            journal.add("\(name) before")
            try await next()
            journal.add("\(name) after")
        }
    }

    /// Rejects calls without `x-caller`; otherwise attaches the caller's name.
    private struct Authenticating: ServerInterceptor {
        func intercept(context: ServerContext, next: @Sendable () async throws -> Void) async throws {
            guard let caller = context.requestMetadata["x-caller"] else {
                throw Status(.unauthenticated, "x-caller is missing")
            }
            context[CallerName.self] = caller
            try await next()
        }
    }

    private struct Greeter: RPCService {
        let journal: Journal
        var methods: [ServerMethod] {
            [
                .unary(Grpc_Testing_TestService.Method.unaryCall) { request, context in
                    journal.add("handler")
                    let caller = context[CallerName.self] ?? "nobody"
                    return Grpc_Testing_SimpleResponse.with { $0.username = "hello \(caller)" }
                },
            ]
        }
    }

    func testInterceptorsRunInOrderAroundTheHandlerAndCanRejectOrAnnotate() async throws {
        let journal = Journal()
        let configuration = ServerConfiguration(address: SocketAddress(host: "127.0.0.1", port: 0), tls: nil, eventLoopCount: 1)
        let server = try Server(configuration: configuration, services: [Greeter(journal: journal)],
                                interceptors: [Recording(name: "outer", journal: journal),
                                               Recording(name: "inner", journal: journal), Authenticating()],
                                log: Logger(component: "test", minimumLevel: .error))
        try await server.start()
        let channel = try GRPCChannel(target: SocketAddress(host: "127.0.0.1", port: server.port), tls: nil)
        let client = Grpc_Testing_TestServiceClient(channel: channel)

        let response = try await client.unaryCall(Grpc_Testing_SimpleRequest(), metadata: ["x-caller": "alice"])
        XCTAssertEqual(response.username, "hello alice")
        XCTAssertEqual(journal.all, ["outer before", "inner before", "handler", "inner after", "outer after"])

        do {
            _ = try await client.unaryCall(Grpc_Testing_SimpleRequest())
            XCTFail("a call without x-caller was not rejected")
        } catch let status as Status {
            XCTAssertEqual(status.code, .unauthenticated)
            XCTAssertEqual(status.message, "x-caller is missing")
        }
        XCTAssertEqual(journal.all.filter { $0 == "handler" }.count, 1, "the rejected call's handler never ran")

        await channel.close()
        await server.shutdown(grace: .seconds(1))
    }
}
