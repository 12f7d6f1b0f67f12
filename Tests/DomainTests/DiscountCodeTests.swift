import XCTest
import Domain

/// Discount codes: what an administrator may define and when a customer may use one.
final class DiscountCodeTests: XCTestCase {
    private let midnightFirstDecember = Instant(microsecondsSinceEpoch: 1_796_083_200_000_000) // 2026-12-01T00:00:00Z
    private let midnightFirstNovember = Instant(microsecondsSinceEpoch: 1_793_491_200_000_000) // 2026-11-01T00:00:00Z

    private func at(_ instant: Instant, offsetMicroseconds: Int64 = 0, firstOrder: Bool = true, redemptions: Int = 0) -> DiscountEligibility {
        DiscountEligibility(isFirstOrder: firstOrder, redemptionsSoFar: redemptions,
                            now: Instant(microsecondsSinceEpoch: instant.microsecondsSinceEpoch + offsetMicroseconds))
    }

    func testTheDemoCodeLatestBF26CanBeDefined() throws {
        let code = try DiscountCode(code: "LATESTBF26", kind: .percentage(basisPoints: 2600), validFrom: nil, validUntil: nil,
                                    maxRedemptions: nil, firstOrderOnly: true)
        XCTAssertEqual(code.code, "LATESTBF26")
        XCTAssertEqual(code.kind, .percentage(basisPoints: 2600))
        XCTAssertTrue(code.firstOrderOnly)
    }

    func testCodesAreTrimmedAndUpperCased() throws {
        XCTAssertEqual(try DiscountCode(code: "  latestBF26 ", kind: .percentage(basisPoints: 2600)).code, "LATESTBF26")
        XCTAssertEqual(DiscountCode.normalise("\tsummer10\n"), "SUMMER10")
    }

    func testMalformedCodesAreRefused() {
        for text in ["AB", String(repeating: "A", count: 33), "BLACK-FRIDAY", "SPRING 26", "CAFÉ10", ""] {
            XCTAssertThrowsError(try DiscountCode(code: text, kind: .percentage(basisPoints: 1000)), text) { error in
                XCTAssertEqual(error as? DiscountCodeError, .malformedCode(text))
                XCTAssertEqual((error as? DiscountCodeError)?.field, "code")
            }
        }
        XCTAssertNoThrow(try DiscountCode(code: "ABC", kind: .percentage(basisPoints: 1000)))
        XCTAssertNoThrow(try DiscountCode(code: String(repeating: "9", count: 32), kind: .percentage(basisPoints: 1000)))
    }

    func testPercentagesMustBeBetweenOneBasisPointAndAHundredPercent() {
        XCTAssertThrowsError(try DiscountCode(code: "ZERO", kind: .percentage(basisPoints: 0)))
        XCTAssertThrowsError(try DiscountCode(code: "MORE", kind: .percentage(basisPoints: 10_001)))
        XCTAssertNoThrow(try DiscountCode(code: "TINY", kind: .percentage(basisPoints: 1)))
        XCTAssertNoThrow(try DiscountCode(code: "FREE", kind: .percentage(basisPoints: 10_000)))
    }

    func testFixedAmountsMustBeMoreThanZero() {
        XCTAssertThrowsError(try DiscountCode(code: "NOTHING", kind: .fixed(.zero))) { error in
            XCTAssertEqual((error as? DiscountCodeError)?.description, "a fixed discount must be more than £0.00, not £0.00")
        }
        XCTAssertThrowsError(try DiscountCode(code: "NEGATIVE", kind: .fixed(Pence(-100))))
        XCTAssertNoThrow(try DiscountCode(code: "PENNY", kind: .fixed(Pence(1))))
    }

    func testCapsAndWindowsMustMakeSense() {
        XCTAssertThrowsError(try DiscountCode(code: "NOUSES", kind: .fixed(Pence(100)), maxRedemptions: 0))
        XCTAssertThrowsError(try DiscountCode(code: "BACKWARDS", kind: .fixed(Pence(100)),
                                              validFrom: midnightFirstDecember, validUntil: midnightFirstNovember)) { error in
            XCTAssertEqual(error as? DiscountCodeError, .emptyValidityWindow)
        }
    }

    func testACodeWorksFromTheStartOfItsWindowUntilJustBeforeItsEnd() throws {
        let november = try DiscountCode(code: "NOVEMBER", kind: .percentage(basisPoints: 1000),
                                        validFrom: midnightFirstNovember, validUntil: midnightFirstDecember)
        XCTAssertEqual(november.refusal(for: at(midnightFirstNovember, offsetMicroseconds: -1)),
                       .discountNotYetValid(code: "NOVEMBER", validFrom: midnightFirstNovember))
        XCTAssertNil(november.refusal(for: at(midnightFirstNovember)))
        XCTAssertNil(november.refusal(for: at(midnightFirstDecember, offsetMicroseconds: -1)))
        XCTAssertEqual(november.refusal(for: at(midnightFirstDecember)),
                       .discountExpired(code: "NOVEMBER", validUntil: midnightFirstDecember))
    }

    func testRefusalsOutsideTheWindowSayTheUKDates() throws {
        let november = try DiscountCode(code: "NOVEMBER", kind: .percentage(basisPoints: 1000),
                                        validFrom: midnightFirstNovember, validUntil: midnightFirstDecember)
        XCTAssertEqual(november.refusal(for: at(midnightFirstNovember, offsetMicroseconds: -1))?.description,
                       "discount code NOVEMBER can be used from 2026-11-01")
        XCTAssertEqual(november.refusal(for: at(midnightFirstDecember))?.description,
                       "discount code NOVEMBER expired on 2026-11-30")
    }

    func testACappedCodeStopsAtItsLimitAcrossAllCustomers() throws {
        let capped = try DiscountCode(code: "FIRST100", kind: .percentage(basisPoints: 1000), maxRedemptions: 100)
        XCTAssertNil(capped.refusal(for: at(midnightFirstNovember, redemptions: 99)))
        XCTAssertEqual(capped.refusal(for: at(midnightFirstNovember, redemptions: 100)), .discountExhausted(code: "FIRST100"))
        XCTAssertEqual(capped.refusal(for: at(midnightFirstNovember, redemptions: 100))?.description,
                       "discount code FIRST100 has been used the maximum number of times")
    }

    func testAFirstOrderCodeWorksOnlyOnTheFirstOrder() throws {
        let welcome = try DiscountCode(code: "LATESTBF26", kind: .percentage(basisPoints: 2600), firstOrderOnly: true)
        XCTAssertNil(welcome.refusal(for: at(midnightFirstNovember, firstOrder: true)))
        XCTAssertEqual(welcome.refusal(for: at(midnightFirstNovember, firstOrder: false)), .discountFirstOrderOnly(code: "LATESTBF26"))
        let anyone = try DiscountCode(code: "ANYONE", kind: .percentage(basisPoints: 1000))
        XCTAssertNil(anyone.refusal(for: at(midnightFirstNovember, firstOrder: false)))
    }
}
