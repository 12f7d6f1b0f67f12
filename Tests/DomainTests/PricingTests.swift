import XCTest
import Domain

/// The quote a customer sees at checkout, in exact pence.
final class PricingTests: XCTestCase {
    private let sildenafil = Product(id: ProductID("sildenafil-50mg-8"), medicationID: MedicationID("sildenafil"),
                                     strength: "50 mg", quantity: 8, packDescription: "8 tablets",
                                     priceInPence: Pence(1999), gtin: "05012345678900", refrigerated: false)
    private let mounjaro = Product(id: ProductID("tirzepatide-2.5mg-4"), medicationID: MedicationID("tirzepatide-pen"),
                                   strength: "2.5 mg/0.5 ml", quantity: 4, packDescription: "4 pre-filled pens",
                                   priceInPence: Pence(12999), gtin: "05012345678917", refrigerated: true)
    private let firstClass = DeliveryOption(id: DeliveryOptionID("royal-mail-1st-class"), name: "Royal Mail 1st Class",
                                            priceInPence: Pence(290), workingDaysToDeliver: 1, guaranteedNextDay: false,
                                            signatureRequired: false, courierServiceCode: "CRL1")
    private let specialDelivery = DeliveryOption(id: DeliveryOptionID("royal-mail-special-delivery"),
                                                 name: "Royal Mail Special Delivery Guaranteed by 1pm",
                                                 priceInPence: Pence(1395), workingDaysToDeliver: 1, guaranteedNextDay: true,
                                                 signatureRequired: true, courierServiceCode: "SD1")
    private let now = Instant(microsecondsSinceEpoch: 1_767_225_600_000_000) // 2026-01-01T00:00:00Z
    private var firstOrder: DiscountEligibility { DiscountEligibility(isFirstOrder: true, redemptionsSoFar: 0, now: now) }

    private func percentage(_ basisPoints: Int) throws -> DiscountCode {
        try DiscountCode(code: "TEST\(basisPoints)", kind: .percentage(basisPoints: basisPoints))
    }

    private func discountOn(_ pence: Int64, basisPoints: Int) throws -> Pence {
        try percentage(basisPoints).amountOff(medicationInPence: Pence(pence))
    }

    func testOnePackByFirstClassCostsThePackPlusTwoPoundsNinety() throws {
        let quote = try Pricing.quote(product: sildenafil, quantity: 1, delivery: firstClass, discount: nil, eligibility: firstOrder)
        XCTAssertEqual(quote.medicationInPence, Pence(1999))
        XCTAssertEqual(quote.discountInPence, .zero)
        XCTAssertEqual(quote.deliveryInPence, Pence(290))
        XCTAssertEqual(quote.totalInPence, Pence(2289))
        XCTAssertNil(quote.discountCode)
        XCTAssertEqual(quote.lines.map(\.kind), [.medication, .delivery])
        XCTAssertEqual(quote.lines.map(\.amountInPence), [Pence(1999), Pence(290)])
    }

    func testTwoPacksBySpecialDeliveryCostTwoPacksPlusThirteenNinetyFive() throws {
        let quote = try Pricing.quote(product: sildenafil, quantity: 2, delivery: specialDelivery, discount: nil, eligibility: firstOrder)
        XCTAssertEqual(quote.medicationInPence, Pence(3998))
        XCTAssertEqual(quote.totalInPence, Pence(5393))
    }

    func testLatestBF26TakesFiveTwentyOffANineteenNinetyNinePackOnAFirstOrder() throws {
        let code = try DiscountCode(code: "LATESTBF26", kind: .percentage(basisPoints: 2600), firstOrderOnly: true)
        let quote = try Pricing.quote(product: sildenafil, quantity: 1, delivery: firstClass, discount: code, eligibility: firstOrder)
        XCTAssertEqual(quote.discountInPence, Pence(520))
        XCTAssertEqual(quote.totalInPence, Pence(1999 - 520 + 290))
        XCTAssertEqual(quote.discountCode, "LATESTBF26")
        XCTAssertEqual(quote.lines.map(\.kind), [.medication, .discount, .delivery])
        XCTAssertEqual(quote.lines[1].amountInPence, Pence(-520))
        XCTAssertEqual(quote.lines[1].description, "Discount LATESTBF26 (26% off medication)")
    }

    func testDeliveryIsNeverDiscounted() throws {
        let everything = try percentage(10_000)
        let quote = try Pricing.quote(product: sildenafil, quantity: 1, delivery: specialDelivery, discount: everything, eligibility: firstOrder)
        XCTAssertEqual(quote.discountInPence, Pence(1999))
        XCTAssertEqual(quote.totalInPence, Pence(1395))
    }

    func testPercentagesRoundHalfUpToThePenny() throws {
        XCTAssertEqual(try discountOn(1999, basisPoints: 2600), Pence(520)) // 519.74
        XCTAssertEqual(try discountOn(1250, basisPoints: 2600), Pence(325)) // exact
        XCTAssertEqual(try discountOn(3998, basisPoints: 2600), Pence(1039)) // 1039.48
        XCTAssertEqual(try discountOn(100, basisPoints: 50), Pence(1)) // 0.5 → up
        XCTAssertEqual(try discountOn(300, basisPoints: 50), Pence(2)) // 1.5 → up
        XCTAssertEqual(try discountOn(5000, basisPoints: 1), Pence(1)) // 0.5 → up
        XCTAssertEqual(try discountOn(4999, basisPoints: 1), Pence(0)) // 0.4999 → down
        XCTAssertEqual(try discountOn(1999, basisPoints: 1250), Pence(250)) // 249.875
    }

    func testAFixedDiscountLargerThanTheMedicationTakesOnlyTheMedication() throws {
        let tenPounds = try DiscountCode(code: "TENOFF", kind: .fixed(Pence(5000)))
        let quote = try Pricing.quote(product: sildenafil, quantity: 1, delivery: firstClass, discount: tenPounds, eligibility: firstOrder)
        XCTAssertEqual(quote.discountInPence, Pence(1999))
        XCTAssertEqual(quote.totalInPence, Pence(290))
        XCTAssertEqual(quote.lines[1].description, "Discount TENOFF (£50.00 off medication)")
    }

    func testAFixedDiscountSmallerThanTheMedicationIsTakenInFull() throws {
        let fivePounds = try DiscountCode(code: "FIVEOFF", kind: .fixed(Pence(500)))
        let quote = try Pricing.quote(product: sildenafil, quantity: 1, delivery: firstClass, discount: fivePounds, eligibility: firstOrder)
        XCTAssertEqual(quote.totalInPence, Pence(1999 - 500 + 290))
    }

    func testRefrigeratedMedicineBySpecialDeliveryIsQuoted() throws {
        let quote = try Pricing.quote(product: mounjaro, quantity: 1, delivery: specialDelivery, discount: nil, eligibility: firstOrder)
        XCTAssertEqual(quote.totalInPence, Pence(12999 + 1395))
    }

    func testRefrigeratedMedicineByFirstClassIsRefused() {
        XCTAssertThrowsError(try Pricing.quote(product: mounjaro, quantity: 1, delivery: firstClass, discount: nil, eligibility: firstOrder)) { error in
            let error = error as! QuoteError
            XCTAssertTrue(error.isInvalidArgument)
            XCTAssertEqual(error.field, "delivery_option_id")
            XCTAssertEqual(error.description, "this medicine must stay refrigerated and can only be sent by a next-day service; Royal Mail 1st Class is not one: choose Special Delivery")
        }
    }

    func testQuantityMustBeBetweenOneAndTheLimit() throws {
        for quantity in [0, -1, Pricing.maxPacksPerOrder + 1] {
            XCTAssertThrowsError(try Pricing.quote(product: sildenafil, quantity: quantity, delivery: firstClass, discount: nil, eligibility: firstOrder)) { error in
                XCTAssertEqual(error as? QuoteError, .quantityOutOfRange(quantity: quantity))
                XCTAssertEqual((error as? QuoteError)?.field, "quantity")
                XCTAssertEqual((error as? QuoteError)?.isInvalidArgument, true)
            }
        }
        let most = try Pricing.quote(product: sildenafil, quantity: Pricing.maxPacksPerOrder, delivery: firstClass, discount: nil, eligibility: firstOrder)
        XCTAssertEqual(most.medicationInPence, Pence(1999 * Int64(Pricing.maxPacksPerOrder)))
    }

    func testLatestBF26OnALaterOrderIsRefused() throws {
        let code = try DiscountCode(code: "LATESTBF26", kind: .percentage(basisPoints: 2600), firstOrderOnly: true)
        let later = DiscountEligibility(isFirstOrder: false, redemptionsSoFar: 0, now: now)
        XCTAssertThrowsError(try Pricing.quote(product: sildenafil, quantity: 1, delivery: firstClass, discount: code, eligibility: later)) { error in
            let error = error as! QuoteError
            XCTAssertEqual(error, .discountFirstOrderOnly(code: "LATESTBF26"))
            XCTAssertFalse(error.isInvalidArgument)
            XCTAssertEqual(error.description, "discount code LATESTBF26 is for a first order only, and you have ordered before")
        }
    }

    func testAnExhaustedCodeIsRefusedBeforeAnyPriceIsGiven() throws {
        let capped = try DiscountCode(code: "FIRST100", kind: .percentage(basisPoints: 1000), maxRedemptions: 100)
        let full = DiscountEligibility(isFirstOrder: true, redemptionsSoFar: 100, now: now)
        XCTAssertThrowsError(try Pricing.quote(product: sildenafil, quantity: 1, delivery: firstClass, discount: capped, eligibility: full)) { error in
            XCTAssertEqual(error as? QuoteError, .discountExhausted(code: "FIRST100"))
            XCTAssertEqual((error as? QuoteError)?.field, "discount_code")
        }
    }
}
