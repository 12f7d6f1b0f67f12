import XCTest
import Domain

/// Royal Mail S10 tracking numbers.
final class TrackingNumberTests: XCTestCase {
    func testTheUPUWorkedExample() {
        // UPU S10: serial 47312482, S = 200, C = 11 − (200 mod 11) = 9.
        XCTAssertEqual(TrackingNumber.checkDigit(serialDigits: [4, 7, 3, 1, 2, 4, 8, 2]), 9)
        XCTAssertEqual(TrackingNumber.make(serviceIndicator: "RR", serial: 47_312_482), "RR473124829GB")
        XCTAssertTrue(TrackingNumber.isValid("RR473124829GB"))
    }

    func testARoyalMailSpecialDeliveryNumberFromTheirTrackingAPIExamples() {
        XCTAssertTrue(TrackingNumber.isValid("FQ087430672GB"))
        XCTAssertEqual(TrackingNumber.make(serviceIndicator: "FQ", serial: 8_743_067), "FQ087430672GB")
    }

    func testCheckDigitTenBecomesZeroAndElevenBecomesFive() {
        XCTAssertEqual(TrackingNumber.checkDigit(serialDigits: [0, 0, 0, 0, 0, 0, 0, 1]), 4) // S = 7
        XCTAssertEqual(TrackingNumber.checkDigit(serialDigits: [0, 0, 0, 1, 0, 0, 0, 0]), 9) // S = 2
        XCTAssertEqual(TrackingNumber.checkDigit(serialDigits: [1, 0, 1, 0, 0, 0, 0, 0]), 0) // S = 12: C = 10 → 0
        XCTAssertEqual(TrackingNumber.checkDigit(serialDigits: [1, 0, 0, 0, 1, 0, 0, 0]), 5) // S = 11: C = 11 → 5
        XCTAssertEqual(TrackingNumber.checkDigit(serialDigits: [0, 0, 0, 0, 0, 0, 0, 0]), 5) // S = 0: C = 11 → 5
        XCTAssertEqual(TrackingNumber.make(serviceIndicator: "AB", serial: 10_100_000), "AB101000000GB")
        XCTAssertEqual(TrackingNumber.make(serviceIndicator: "AB", serial: 0), "AB000000005GB")
    }

    func testEveryMadeNumberIsValid() {
        for serial in stride(from: 0, through: TrackingNumber.maxSerial, by: 987_654) {
            XCTAssertTrue(TrackingNumber.isValid(TrackingNumber.make(serviceIndicator: "SD", serial: serial)), "\(serial)")
        }
        XCTAssertTrue(TrackingNumber.isValid(TrackingNumber.make(serviceIndicator: "ZZ", serial: TrackingNumber.maxSerial)))
    }

    func testWrongNumbersAreInvalid() {
        XCTAssertFalse(TrackingNumber.isValid("RR473124828GB")) // wrong check digit
        XCTAssertFalse(TrackingNumber.isValid("AB123456789GB")) // check digit should be 5
        XCTAssertFalse(TrackingNumber.isValid("RR473124829US")) // not Royal Mail
        XCTAssertFalse(TrackingNumber.isValid("rr473124829GB"))
        XCTAssertFalse(TrackingNumber.isValid("R1473124829GB"))
        XCTAssertFalse(TrackingNumber.isValid("RR47312482GB"))
        XCTAssertFalse(TrackingNumber.isValid("RR4731248299GB"))
        XCTAssertFalse(TrackingNumber.isValid("RR 473124829GB"))
        XCTAssertFalse(TrackingNumber.isValid(""))
    }
}
