import XCTest
import Domain

/// Royal Mail tracking scans and what they do to an order.
final class TrackingEventCodeTests: XCTestCase {
    private func event(_ code: String) throws -> OrderEvent { try TrackingEventCode(code: code).orderEvent }

    func testDeliveredScansDeliverTheOrder() throws {
        for code in ["EVKSP", "EVKOP", "EVKSF", "EVKNS", "EVKDN"] {
            XCTAssertEqual(try event(code), .deliver, code)
        }
    }

    func testReadyForDeliveryMeansOutForDelivery() throws {
        XCTAssertEqual(try event("EVGPD"), .outForDelivery)
    }

    func testAnAttemptWithACardLeftFailsTheDelivery() throws {
        XCTAssertEqual(try event("EVKNA"), .failDelivery)
        XCTAssertEqual(try event("EVNDA"), .failDelivery)
    }

    func testRedeliveryArrangedAndReturns() throws {
        XCTAssertEqual(try event("EVNSR"), .arrangeRedelivery)
        XCTAssertEqual(try event("EVNRS"), .returnToSender)
        XCTAssertEqual(try event("EVKRF"), .returnToSender)
    }

    func testAcceptanceScansMeanInTransit() throws {
        for code in ["EVOAC", "EVDAV", "EVDAC", "EVIMC"] {
            XCTAssertEqual(try event(code), .inTransit, code)
        }
    }

    func testUnknownCodesAreRefused() {
        for code in ["EVXXX", "evksp", "", "EVKSP "] {
            XCTAssertThrowsError(try TrackingEventCode(code: code), code) { error in
                XCTAssertEqual(error as? TrackingEventCodeError, TrackingEventCodeError(code: code))
            }
        }
        XCTAssertEqual(TrackingEventCodeError(code: "EVXXX").description, "unknown Royal Mail tracking event code \"EVXXX\"")
    }

    func testAFeedJumpingFromDispatchedToSignedForDeliversTheOrder() throws {
        XCTAssertEqual(try OrderStatus.dispatched.applying(event("EVKSP")), .delivered)
    }

    func testEveryCodeIsFiveCapitals() {
        for code in TrackingEventCode.allCases {
            XCTAssertEqual(code.code.count, 5)
            XCTAssertTrue(code.code.hasPrefix("EV"))
        }
    }
}
