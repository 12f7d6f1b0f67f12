import Domain
import XCTest

/// The support team's named replies: each rendered with the order's facts in plain UK English,
/// and an unknown name refused with the names that exist.
final class SupportTemplateTests: XCTestCase {
    private let christmasEve = CalendarDay(year: 2026, month: 12, day: 24)

    func testEveryTemplateIsFoundByTheNameAReplyGives() throws {
        for name in ["order_confirmation", "delivery_delay", "side_effect_guidance", "refund_processed"] {
            XCTAssertEqual(try SupportTemplate(named: name).name, name)
        }
    }

    func testAnUnknownTemplateIsRefusedListingTheKnownOnes() {
        XCTAssertThrowsError(try SupportTemplate(named: "sorry_for_the_wait")) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.contains("sorry_for_the_wait"), message)
            for template in SupportTemplate.allCases { XCTAssertTrue(message.contains(template.name), message) }
        }
    }

    func testADelayedParcelIsDescribedWithItsTrackingAndEstimatedDelivery() throws {
        let order = SupportTemplate.OrderFacts(orderID: "ord_42", status: .inTransit, trackingNumber: "FQ087430672GB",
                                               estimatedDelivery: christmasEve)
        let text = try SupportTemplate.deliveryDelay.render(order: order)
        XCTAssertTrue(text.contains("order ord_42 is taking longer"), text)
        XCTAssertTrue(text.contains("on its way with Royal Mail"), text)
        XCTAssertTrue(text.contains("Tracking number: FQ087430672GB"), text)
        XCTAssertTrue(text.contains(CustomerEmail.trackingURLPrefix + "FQ087430672GB"), text)
        XCTAssertTrue(text.contains("Estimated delivery: Thursday 24 December 2026."), text)
        XCTAssertTrue(text.contains("replacement"), text)
    }

    func testADelayBeforeDispatchSaysTheOrderHasNotLeftYet() throws {
        let text = try SupportTemplate.deliveryDelay.render(order: .init(orderID: "ord_7", status: .pendingClinicalApproval))
        XCTAssertTrue(text.contains("ord_7"), text)
        XCTAssertTrue(text.contains("waiting for one of our prescribers"), text)
        XCTAssertTrue(text.contains("not been dispatched yet"), text)
        XCTAssertFalse(text.contains("Tracking number"), text)
    }

    func testAnOrderConfirmationSaysWhereTheOrderStands() throws {
        let text = try SupportTemplate.orderConfirmation.render(order: .init(orderID: "ord_9", status: .dispensing))
        XCTAssertTrue(text.contains("we have your order ord_9. Our pharmacy is dispensing it now."), text)
    }

    func testSideEffectGuidanceNeedsNoOrderAndSaysWhereToGetUrgentHelp() throws {
        let general = try SupportTemplate.sideEffectGuidance.render(order: nil)
        XCTAssertTrue(general.contains("call 999"), general)
        XCTAssertTrue(general.contains("NHS 111"), general)
        XCTAssertTrue(general.contains("Yellow Card"), general)
        let specific = try SupportTemplate.sideEffectGuidance.render(order: .init(
            orderID: "ord_1", status: .delivered, medicationDescription: "Sildenafil 50 mg, 8 tablets"))
        XCTAssertTrue(specific.contains("while taking Sildenafil 50 mg, 8 tablets"), specific)
    }

    func testATemplateAboutAnOrderIsRefusedOnATicketWithoutOne() {
        for template in [SupportTemplate.orderConfirmation, .deliveryDelay, .refundProcessed] {
            XCTAssertThrowsError(try template.render(order: nil)) { error in
                XCTAssertEqual(error as? SupportTemplateError, .needsOrder(template))
            }
        }
    }

    func testARefundReplyNeedsARefund() throws {
        XCTAssertThrowsError(try SupportTemplate.refundProcessed.render(order: .init(orderID: "ord_3", status: .delivered))) { error in
            XCTAssertEqual(error as? SupportTemplateError, .noRefund(orderID: "ord_3"))
        }
        let full = try SupportTemplate.refundProcessed.render(order: .init(orderID: "ord_3", status: .delivered, refund: .full(Pence(1_769))))
        XCTAssertTrue(full.contains("a refund of £17.69 for your order ord_3"), full)
        XCTAssertTrue(full.contains("5 to 10 working days"), full)
        let partial = try SupportTemplate.refundProcessed.render(order: .init(orderID: "ord_3", status: .delivered, refund: .partial))
        XCTAssertTrue(partial.contains("a partial refund for your order ord_3"), partial)
    }
}
