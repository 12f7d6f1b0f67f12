import XCTest
@testable import RPCCore

final class StatusMappingTests: XCTestCase {
    func testHTTPStatusesMapAsGRPCSpecifies() {
        XCTAssertEqual(Status.Code(httpStatus: 400), .internalError)
        XCTAssertEqual(Status.Code(httpStatus: 401), .unauthenticated)
        XCTAssertEqual(Status.Code(httpStatus: 403), .permissionDenied)
        XCTAssertEqual(Status.Code(httpStatus: 404), .unimplemented)
        for status in [429, 502, 503, 504] {
            XCTAssertEqual(Status.Code(httpStatus: status), .unavailable, "\(status)")
        }
    }

    func testOtherStatusesAreUnknown() {
        for status in [200, 204, 301, 405, 418, 500, 505, 0, -1] {
            XCTAssertEqual(Status.Code(httpStatus: status), .unknown, "\(status)")
        }
    }
}

final class FramingStatusTests: XCTestCase {
    func testFramingErrorsMapToTheStatusesThePeersExpect() {
        let tooLarge = Status(framingError: .messageTooLarge(declared: 5_000_000, limit: 4_194_304), in: "request")
        XCTAssertEqual(tooLarge.code, .resourceExhausted)
        XCTAssertEqual(tooLarge.message, "request message of 5000000 bytes exceeds the limit of 4194304 bytes")
        XCTAssertEqual(Status(framingError: .invalidCompressionFlag(7), in: "response").code, .internalError)
        XCTAssertEqual(Status(framingError: .truncated, in: "request").code, .internalError)
    }
}
