@testable import ClientKit
import XCTest

/// A host name with several addresses: the channel tries them in order, moving on from those
/// that refuse or cannot be reached, and names every failure when none works.
final class AddressFallbackTests: XCTestCase {
    /// 224.0.0.1 fails at once (TCP to a multicast address: ENETUNREACH); [::1] fails later
    /// (nothing listens there: the non-blocking connect is refused); 127.0.0.1 is the server.
    private static let addresses = ["224.0.0.1", "::1", "127.0.0.1"]

    func testTheChannelMovesPastAddressesThatFailToTheOneWithTheServer() async throws {
        let server = try await TestServer.start()
        let channel = try GRPCChannel.resolving(SocketAddress(host: "localhost", port: server.port), to: Self.addresses)
        let answer = try await channel.unary(ProbeService.Method.echo, Blob("third time")).message.text
        XCTAssertEqual(answer, "third time")
        XCTAssertEqual(server.probe.values("echo.peer").map { $0.hasPrefix("127.0.0.1:") }, [true])
        await channel.close()
        await server.stop()
    }

    func testWhenNoAddressWorksTheCallNamesEveryFailureAndItWasOneAttempt() async throws {
        let port = try closedPort().port
        var configuration = ChannelConfiguration()
        configuration.retryPolicy = .disabled
        let channel = try GRPCChannel.resolving(SocketAddress(host: "localhost", port: port), to: Self.addresses,
                                                configuration: configuration)
        let status = await failureStatus { try await channel.unary(ProbeService.Method.echo, Blob()) }
        XCTAssertEqual(status?.code, .unavailable)
        let message = status?.message ?? ""
        XCTAssertTrue(message.contains("all 3 addresses failed"), message)
        for address in ["224.0.0.1:\(port): ", "[::1]:\(port): ", "127.0.0.1:\(port): "] {
            XCTAssertTrue(message.contains(address), "\(address) missing from: \(message)")
        }
        let next = await failureStatus { try await channel.unary(ProbeService.Method.echo, Blob()) }
        XCTAssertTrue(next?.message.contains("backing off after 1 failed connection attempt;") ?? false,
                      "the three addresses were one attempt: \(String(describing: next))")
        await channel.close()
    }

    /// Through the system resolver: runs where `localhost` resolves to both loopback addresses
    /// (needs /etc/hosts to name ::1 localhost, and RPCCore to hand out every getaddrinfo answer).
    func testLocalhostReachesAServerListeningOnOnlyOneOfItsAddresses() async throws {
        let resolved = await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
            SystemAddressResolver().resolve(SocketAddress(host: "localhost", port: 443)) { result in
                continuation.resume(returning: (try? result.get())?.count ?? 0)
            }
        }
        guard resolved >= 2 else {
            throw XCTSkip("localhost resolves to \(resolved) address here; this needs both ::1 and 127.0.0.1")
        }
        // Whichever address comes first, one of the two servers listens only on the second.
        for host in ["127.0.0.1", "::1"] {
            let server = try await TestServer.start(host: host)
            let channel = try GRPCChannel(target: SocketAddress(host: "localhost", port: server.port), tls: nil)
            let answer = try await channel.unary(ProbeService.Method.echo, Blob(host)).message.text
            XCTAssertEqual(answer, host)
            await channel.close()
            await server.stop()
        }
    }
}
