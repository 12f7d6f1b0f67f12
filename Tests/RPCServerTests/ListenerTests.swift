import RPCCore
import XCTest
@testable import RPCServer

/// A server owns its port: a second server on the same port fails to start instead of silently
/// sharing connections with the first (SO_REUSEPORT would allow that within one user).
final class ListenerTests: XCTestCase {
    private func server(port: Int, loops: Int) throws -> Server {
        let configuration = ServerConfiguration(address: SocketAddress(host: "127.0.0.1", port: port), tls: nil, eventLoopCount: loops)
        return try Server(configuration: configuration, services: [HealthService()], log: Logger(component: "test", minimumLevel: .error))
    }

    func testASecondServerOnTheSamePortFailsToStart() async throws {
        let first = try server(port: 0, loops: 2)
        try await first.start()
        let second = try server(port: first.port, loops: 2)
        do {
            try await second.start()
            XCTFail("a second server started on port \(first.port)")
            await second.shutdown(grace: .zero)
        } catch {
            XCTAssertTrue("\(error)".contains("Address already in use"), "\(error)")
        }
        await first.shutdown(grace: .seconds(1))

        // Once the first has gone, the port is free again.
        let third = try server(port: first.port, loops: 2)
        try await third.start()
        XCTAssertEqual(third.port, first.port)
        await third.shutdown(grace: .seconds(1))
    }
}
