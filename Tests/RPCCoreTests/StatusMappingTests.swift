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
