import Glibc
import RPCCore
import XCTest

final class NameResolutionTests: XCTestCase {
    func testAHostNameResolvesToEachOfItsAddressesDescribedNumerically() throws {
        let addresses = try Socket.resolveAll(SocketAddress(host: "localhost", port: 50051))
        XCTAssertFalse(addresses.isEmpty)
        for address in addresses {
            XCTAssertTrue(["127.0.0.1:50051", "[::1]:50051"].contains(address.description), address.description)
        }
        // One entry per address, not one per socket type getaddrinfo might list.
        XCTAssertEqual(Set(addresses.map(\.description)).count, addresses.count)
    }

    func testANumericAddressResolvesToItself() throws {
        XCTAssertEqual(try Socket.resolveAll(SocketAddress(host: "::1", port: 8443)).map(\.description), ["[::1]:8443"])
        XCTAssertEqual(try Socket.resolveAll(SocketAddress(host: "127.0.0.1", port: 80)).map(\.description), ["127.0.0.1:80"])
    }

    func testAnUnknownNameFailsWithGetaddrinfosReason() {
        XCTAssertThrowsError(try Socket.resolveAll(SocketAddress(host: "no-such-host.invalid", port: 1))) { error in
            XCTAssertTrue("\(error)".contains("getaddrinfo no-such-host.invalid"), "\(error)")
        }
    }

    func testTheBackgroundLookupReportsEveryAddress() {
        let done = expectation(description: "resolved")
        ResolvedAddress.resolveInBackground(SocketAddress(host: "127.0.0.1", port: 9)) { result in
            XCTAssertEqual((try? result.get())?.map(\.description), ["127.0.0.1:9"])
            done.fulfill()
        }
        wait(for: [done], timeout: 10)
    }
}
