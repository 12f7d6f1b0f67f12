import Domain
import Foundation
import Gateways
import Glibc
import RPCCore
import XCTest

/// The Click & Drop gateway against the stand-in: the pharmacist books a dispensed parcel and
/// gets a tracking number and a label; what happens when Royal Mail refuses, the key is wrong,
/// the answer is lost, or the API is down. No request may name what is inside the parcel.
final class RoyalMailClickAndDropGatewayTests: XCTestCase {
    private var standIn: RoyalMailStandIn!

    override func setUp() async throws {
        standIn = try RoyalMailStandIn()
    }

    override func tearDown() async throws {
        try await standIn.assertNoViolations()
        standIn = nil
    }

    private func parcel(_ reference: String = "shp_\(UUID().uuidString.prefix(8))", service: String = "CRL1",
                        postcode: String = "SW1A 2AA", refrigerated: Bool = false, signature: Bool = false) -> ShipmentRequest {
        ShipmentRequest(reference: reference,
                        recipient: ShipmentRecipient(name: "Jane Smith", addressLines: ["Flat 2", "10 Downing Street"], town: "London",
                                                     postcode: postcode, email: "jane@example.com", phone: "07700900000"),
                        serviceCode: service, weightGrams: 250, refrigerated: refrigerated, signatureRequired: signature)
    }

    func testPharmacistBooksAParcelAndGetsATrackingNumberAndLabel() async throws {
        let request = parcel("shp_first_class")
        let shipment = try await standIn.gateway().createShipment(request)
        XCTAssertTrue(TrackingNumber.isValid(shipment.trackingNumber), shipment.trackingNumber)
        XCTAssertTrue(shipment.label.starts(with: Array("%PDF".utf8)))
        XCTAssertNotNil(Int(shipment.courierShipmentID))

        let requests = try await standIn.requests()
        XCTAssertEqual(requests.map(\.method), ["GET", "POST"], "looked up by reference, then booked")
        XCTAssertEqual(requests[0].path, "/api/v1/orders/%22shp_first_class%22")
        XCTAssertEqual(requests[0].status, 404)
        let order = try XCTUnwrap(((requests[1].body?["items"] as? [[String: Any]])?.first))
        XCTAssertEqual(order["orderReference"] as? String, "shp_first_class")
        let address = try XCTUnwrap((order["recipient"] as? [String: Any])?["address"] as? [String: Any])
        XCTAssertEqual(address["fullName"] as? String, "Jane Smith")
        XCTAssertEqual(address["addressLine1"] as? String, "Flat 2")
        XCTAssertEqual(address["addressLine2"] as? String, "10 Downing Street")
        XCTAssertEqual(address["postcode"] as? String, "SW1A 2AA")
        let postage = try XCTUnwrap(order["postageDetails"] as? [String: Any])
        XCTAssertEqual(postage["serviceCode"] as? String, "CRL1")
        XCTAssertEqual(postage["requestSignatureUponDelivery"] as? Bool, false)
        let package = try XCTUnwrap((order["packages"] as? [[String: Any]])?.first)
        XCTAssertEqual(package["weightInGrams"] as? Int, 250)
        XCTAssertNil(package["contents"], "nothing says what is inside")
        XCTAssertNil(order["specialInstructions"])
        let orders = try await standIn.orders()
        XCTAssertEqual(orders.map(\.trackingNumber), [shipment.trackingNumber])
    }

    func testRefrigeratedParcelGoesBySpecialDeliveryWithASignature() async throws {
        let shipment = try await standIn.gateway().createShipment(parcel(service: "SD1", refrigerated: true, signature: true))
        XCTAssertTrue(TrackingNumber.isValid(shipment.trackingNumber))
        let post = try await standIn.requests().last
        let order = try XCTUnwrap((post?.body?["items"] as? [[String: Any]])?.first)
        XCTAssertEqual((order["postageDetails"] as? [String: Any])?["requestSignatureUponDelivery"] as? Bool, true)
    }

    func testRefrigeratedParcelOnAServiceThatMayTakeLongerIsRefusedBeforeBooking() async throws {
        let error = await courierError { _ = try await self.standIn.gateway().createShipment(self.parcel(service: "CRL1", refrigerated: true)) }
        XCTAssertNotNil(rejectedMessage(error)?.range(of: "refrigerated"), "\(String(describing: error))")
        let requests = try await standIn.requests()
        XCTAssertTrue(requests.isEmpty)
    }

    func testAnAddressRoyalMailRefusesIsRejectedWithItsMessage() async throws {
        let error = await courierError { _ = try await self.standIn.gateway().createShipment(self.parcel(postcode: "NOT A CODE")) }
        let message = try XCTUnwrap(rejectedMessage(error), "\(String(describing: error))")
        XCTAssertTrue(message.contains("The postcode 'NOT A CODE' is not a valid UK postcode."), message)
        let orders = try await standIn.orders()
        XCTAssertTrue(orders.isEmpty)
    }

    func testAnUnknownServiceIsRejected() async throws {
        let error = await courierError { _ = try await self.standIn.gateway().createShipment(self.parcel(service: "XX9")) }
        XCTAssertTrue(rejectedMessage(error)?.contains("not available on this account") ?? false, "\(String(describing: error))")
    }

    func testAWrongAPIKeyIsUnavailableWithAnOperatorMessageAndNotRetried() async throws {
        let gateway = try standIn.gateway(apiKey: "00000000-0000-0000-0000-000000000000")
        let error = await courierError { _ = try await gateway.createShipment(self.parcel()) }
        let message = try XCTUnwrap(unavailableMessage(error), "\(String(describing: error))")
        XCTAssertTrue(message.contains("API key"), message)
        let requests = try await standIn.requests()
        XCTAssertEqual(requests.count, 1, "a refused key is not retried")
    }

    func testABookingWhoseAnswerWasLostIsFoundNotBookedAgain() async throws {
        try await standIn.injectFault(method: "POST", path: "/api/v1/orders", action: "drop")
        let request = parcel("shp_lost_answer")
        let first = try await standIn.gateway().createShipment(request)
        // The pharmacist presses again later, after a restart: a fresh gateway, the same reference.
        let again = try await standIn.gateway().createShipment(request)
        XCTAssertEqual(again.trackingNumber, first.trackingNumber)
        XCTAssertEqual(again.courierShipmentID, first.courierShipmentID)
        XCTAssertTrue(again.label.starts(with: Array("%PDF".utf8)), "the label is fetched for a booking found by reference")

        let orders = try await standIn.orders()
        XCTAssertEqual(orders.filter { $0.reference == "shp_lost_answer" }.count, 1)
        let requests = try await standIn.requests()
        XCTAssertEqual(requests.filter { $0.method == "POST" }.count, 1, "booked once")
    }

    func testClickAndDropFailingThenRecoveringIsRetried() async throws {
        try await standIn.injectFault(method: "POST", path: "/api/v1/orders", action: "status", status: 503)
        let shipment = try await standIn.gateway().createShipment(parcel("shp_after_503"))
        XCTAssertTrue(TrackingNumber.isValid(shipment.trackingNumber))
        let orders = try await standIn.orders()
        XCTAssertEqual(orders.count, 1)
    }

    func testClickAndDropStayingDownIsUnavailableAfterBoundedRetries() async throws {
        try await standIn.injectFault(method: "POST", path: "/api/v1/orders", action: "status", status: 500, count: 10)
        let error = await courierError { _ = try await self.standIn.gateway(maxRetries: 2).createShipment(self.parcel()) }
        XCTAssertNotNil(unavailableMessage(error), "\(String(describing: error))")
        let posts = try await standIn.requests().filter { $0.method == "POST" }
        XCTAssertEqual(posts.count, 3, "the first attempt and two retries")
    }

    func testADeadServerIsUnavailableQuickly() async throws {
        let gateway = try standIn.gateway(baseURL: "https://127.0.0.1:\(try unusedPort())/api/v1")
        let started = ContinuousClock.now
        let error = await courierError { _ = try await gateway.createShipment(self.parcel()) }
        XCTAssertNotNil(unavailableMessage(error), "\(String(describing: error))")
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(5))
    }

    func testCallsKeepToClickAndDropsRateLimit() async throws {
        let gateway = try RoyalMailClickAndDropGateway(configuration: RoyalMailConfiguration(
            apiKey: RoyalMailStandIn.apiKey, baseURL: "https://127.0.0.1:\(standIn.port)/api/v1", trustRootsFile: standIn.pki.caFile,
            minimumCallIntervalMilliseconds: 300))
        let started = ContinuousClock.now
        _ = try await gateway.createShipment(parcel())
        _ = try await gateway.createShipment(parcel())
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - started, .milliseconds(900), "four calls, three intervals")
    }

    func testAnAPIKeyWithASpaceIsRefusedAtStartup() {
        XCTAssertThrowsError(try RoyalMailClickAndDropGateway(configuration: RoyalMailConfiguration(apiKey: "two words")))
    }
}

/// A loopback port nothing listens on.
private func unusedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// What the stand-in recorded of one request.
struct RoyalMailRecordedRequest {
    let method: String
    let path: String
    /// The HTTP status sent, or nil when the connection was dropped on purpose.
    let status: Int?
    let body: [String: Any]?
    let violations: [String]
}

/// One order the stand-in holds.
struct RoyalMailStandInOrder {
    let identifier: Int
    let reference: String?
    let trackingNumber: String
}

/// `Tests/standins/royal_mail_standin.py` running on an ephemeral port over TLS, for one test;
/// every name in the embedded catalog (treatments, medications) is a word no request may contain.
final class RoyalMailStandIn {
    static let apiKey = "3f1c9a2e-5b7d-4e61-9c0a-7d2b8e4f6a15"

    let pki: StandInPKI
    let port: Int
    private let process: Process
    private let stdin: Pipe
    private let control: HTTPClient

    init() throws {
        pki = try StandInPKI(caName: "Click & Drop Stand-in Test CA")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("standins/royal_mail_standin.py").path
        let catalog = try Catalog.embedded()
        let forbidden = Set(catalog.treatments.flatMap { [$0.name] + $0.medications.map(\.name) } + ["MedExpress", "pharmacy"])
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--cert", pki.certificateFile, "--key", pki.keyFile, "--api-key", Self.apiKey]
            + forbidden.sorted().flatMap { ["--forbidden-word", $0] }
        let stdout = Pipe()
        stdin = Pipe()
        process.standardOutput = stdout
        process.standardInput = stdin
        try process.run()
        var line: [UInt8] = []
        while true {
            let byte = try stdout.fileHandleForReading.read(upToCount: 1) ?? Data()
            guard let first = byte.first, first != UInt8(ascii: "\n") else { break }
            line.append(first)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw POSIXError(.EIO)
        }
        self.port = port
        control = try HTTPClient(configuration: HTTPClientConfiguration(trustRootsFile: pki.caFile))
    }

    deinit {
        // The stand-in exits when its stdin closes; SIGTERM alone may find it blocked, as the
        // signal mask of the thread that spawned it is inherited.
        try? stdin.fileHandleForWriting.close()
        process.terminate()
        process.waitUntilExit()
    }

    /// A gateway trusting the stand-in's CA, with quick retries.
    func gateway(apiKey: String = RoyalMailStandIn.apiKey, baseURL: String? = nil, maxRetries: Int = 2) throws -> RoyalMailClickAndDropGateway {
        try RoyalMailClickAndDropGateway(configuration: RoyalMailConfiguration(
            apiKey: apiKey, baseURL: baseURL ?? "https://127.0.0.1:\(port)/api/v1", trustRootsFile: pki.caFile,
            maxRetries: maxRetries, retryBackoffMilliseconds: 20, minimumCallIntervalMilliseconds: 0,
            http: HTTPClientConfiguration(connectTimeoutMilliseconds: 2_000, readTimeoutMilliseconds: 5_000,
                                          requestTimeoutMilliseconds: 10_000, maxResponseBodyBytes: 4 * 1024 * 1024)))
    }

    /// Every request the stand-in has seen, in order.
    func requests() async throws -> [RoyalMailRecordedRequest] {
        try await control(path: "/__standin/requests").map { entry in
            RoyalMailRecordedRequest(method: entry["method"] as? String ?? "", path: entry["path"] as? String ?? "",
                                     status: entry["status"] as? Int, body: entry["body"] as? [String: Any],
                                     violations: entry["violations"] as? [String] ?? [])
        }
    }

    /// Every order created, in order.
    func orders() async throws -> [RoyalMailStandInOrder] {
        try await control(path: "/__standin/orders").map { entry in
            RoyalMailStandInOrder(identifier: entry["orderIdentifier"] as? Int ?? 0, reference: entry["orderReference"] as? String,
                                  trackingNumber: entry["trackingNumber"] as? String ?? "")
        }
    }

    /// Makes the next `count` requests `method path` fail: `drop` processes them and closes the
    /// connection without answering; `status` answers with `status` without processing.
    func injectFault(method: String, path: String, action: String, status: Int = 503, count: Int = 1) async throws {
        let body = try JSONSerialization.data(withJSONObject: ["method": method, "path": path, "action": action,
                                                               "status": status, "count": count])
        let response = try await control.send(HTTPRequest(method: "POST", url: HTTPURL(parsing: "https://127.0.0.1:\(port)/__standin/faults"),
                                                          headers: [HTTPHeader(name: "Content-Type", value: "application/json")],
                                                          body: Array(body)))
        XCTAssertEqual(response.statusCode, 200)
    }

    /// Fails the test for every request that broke Click & Drop's protocol or named the contents.
    func assertNoViolations(file: StaticString = #filePath, line: UInt = #line) async throws {
        for request in try await requests() where !request.violations.isEmpty {
            XCTFail("\(request.method) \(request.path): \(request.violations.joined(separator: "; "))", file: file, line: line)
        }
    }

    private func control(path: String) async throws -> [[String: Any]] {
        let response = try await control.send(HTTPRequest(method: "GET", url: HTTPURL(parsing: "https://127.0.0.1:\(port)\(path)")))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]])
    }
}

/// The `CourierError` `body` threw, or nil (and a test failure) when it threw none.
func courierError(file: StaticString = #filePath, line: UInt = #line, _ body: () async throws -> Void) async -> CourierError? {
    do {
        try await body()
        XCTFail("expected a CourierError", file: file, line: line)
        return nil
    } catch let error as CourierError {
        return error
    } catch {
        XCTFail("expected a CourierError, not \(error)", file: file, line: line)
        return nil
    }
}

/// The message of an `.unavailable` courier error, or nil.
func unavailableMessage(_ error: CourierError?) -> String? {
    if case .unavailable(let message)? = error { return message }
    return nil
}

/// The message of a `.rejected` courier error, or nil.
func rejectedMessage(_ error: CourierError?) -> String? {
    if case .rejected(let message)? = error { return message }
    return nil
}
