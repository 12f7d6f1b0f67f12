import Domain
import XCTest

/// The emails a customer receives along an order's journey: each says what happened with the
/// facts the customer needs, and no subject line gives away a medicine or a condition.
final class EmailTemplateTests: XCTestCase {
    private let orderID = "ord_01JABCDEF"
    private let christmasEve = CalendarDay(year: 2026, month: 12, day: 24)

    private var everyEmail: [CustomerEmail] {
        [
            .orderConfirmation(givenName: "Sam", orderID: orderID, lines: [
                QuoteLine(kind: .medication, description: "Sildenafil 50 mg, 8 tablets", amountInPence: Pence(1_999)),
                QuoteLine(kind: .discount, description: "Discount LATESTBF26 (26% off medication)", amountInPence: Pence(-520)),
                QuoteLine(kind: .delivery, description: "Royal Mail 1st Class", amountInPence: Pence(290)),
            ], totalInPence: Pence(1_769)),
            .underReview(givenName: "Sam", orderID: orderID),
            .informationRequested(givenName: "Sam", orderID: orderID, requestNumber: 2,
                                  prescriberMessage: "Please tell us your current blood pressure reading.\r\nA recent one is fine.",
                                  answerBy: christmasEve),
            .approved(givenName: "Sam", orderID: orderID, medicationDescription: "Sildenafil 50 mg, 8 tablets",
                      chargedInPence: Pence(1_769)),
            .dispatched(givenName: "Sam", orderID: orderID, deliveryService: "Royal Mail Special Delivery Guaranteed by 1pm",
                        trackingNumber: "FQ087430672GB", estimatedDelivery: christmasEve),
            .delivered(givenName: "Sam", orderID: orderID),
            .rejected(givenName: "Sam", orderID: orderID, prescriberReason: "Sildenafil is not safe alongside nitrates.",
                      payment: .released(Pence(1_769))),
            .cancelled(givenName: "Sam", orderID: orderID, reason: .byCustomer, releasedInPence: Pence(1_769)),
            .ticketReply(givenName: "Sam", ticketID: "tkt_42", replyNumber: 3,
                         replyText: "Your parcel left our pharmacy this morning."),
            .complaintResolved(givenName: "Sam", complaintID: "cmp_7", orderID: orderID, remedy: .refund(Pence(500)),
                               note: "Two tablets arrived broken."),
        ]
    }

    func testEveryNotificationOfTheJourneyHasATemplate() {
        XCTAssertEqual(Set(everyEmail.map(\.kind)), Set(CustomerEmail.Kind.allCases))
    }

    func testNoSubjectNamesAMedicineOrACondition() throws {
        let catalog = try Catalog.embedded()
        var names = ["sildenafil", "nitrate", "viagra", "erectile", "weight", "mounjaro", "wegovy"]
        for treatment in catalog.treatments {
            names.append(treatment.name.lowercased())
            names += treatment.medications.map { $0.name.lowercased() }
        }
        for email in everyEmail {
            let subject = email.subject.lowercased()
            for name in names {
                XCTAssertFalse(subject.contains(name), "\(email.kind): \(email.subject) names \(name)")
            }
            XCTAssertTrue(email.subject.contains(email.reference), "\(email.kind): \(email.subject)")
        }
    }

    func testConfirmationListsTheOrderPriceLinesAndTheHold() {
        let email = everyEmail[0]
        XCTAssertEqual(email.subject, "Your MedExpress order ord_01JABCDEF is confirmed")
        XCTAssertTrue(email.body.hasPrefix("Hello Sam,\n\n"))
        for line in ["  Sildenafil 50 mg, 8 tablets: £19.99\n", "  Discount LATESTBF26 (26% off medication): -£5.20\n",
                     "  Royal Mail 1st Class: £2.90\n", "  Total: £17.69\n", "hold of £17.69"] {
            XCTAssertTrue(email.body.contains(line), line)
        }
        XCTAssertTrue(email.body.hasSuffix("Kind regards,\nThe MedExpress team\n"))
    }

    func testUnderReviewSaysAPrescriberIsLooking() {
        XCTAssertTrue(everyEmail[1].body.contains("A prescriber is now reviewing your consultation for order ord_01JABCDEF."))
    }

    func testInformationRequestQuotesThePrescriberAndGivesTheDeadline() {
        let email = everyEmail[2]
        XCTAssertTrue(email.subject.hasPrefix("Action needed"))
        XCTAssertTrue(email.body.contains("    Please tell us your current blood pressure reading.\n    A recent one is fine.\n"), email.body)
        XCTAssertTrue(email.body.contains("reply by Thursday 24 December 2026"))
        XCTAssertFalse(email.body.contains("\r"))
    }

    func testApprovalNamesTheMedicationAndTheChargeInTheBodyOnly() {
        let email = everyEmail[3]
        XCTAssertTrue(email.body.contains("approved your order ord_01JABCDEF for Sildenafil 50 mg, 8 tablets."))
        XCTAssertTrue(email.body.contains("payment of £17.69"))
    }

    func testDispatchGivesTheRoyalMailTrackingLinkAndTheEstimatedDay() {
        let email = everyEmail[4]
        XCTAssertTrue(email.body.contains("Tracking number: FQ087430672GB\n"))
        XCTAssertTrue(email.body.contains("https://www.royalmail.com/track-your-item#/tracking-results/FQ087430672GB\n"))
        XCTAssertTrue(email.body.contains("Estimated delivery: Thursday 24 December 2026."))
        XCTAssertTrue(email.body.contains("Royal Mail Special Delivery Guaranteed by 1pm"))
    }

    func testDeliveredAsksForFeedback() {
        XCTAssertTrue(everyEmail[5].body.contains("has been delivered"))
        XCTAssertTrue(everyEmail[5].body.contains("feedback"))
    }

    func testRejectionGivesTheReasonAndSaysWhatHappensToTheMoney() {
        let released = everyEmail[6]
        XCTAssertTrue(released.body.contains("    Sildenafil is not safe alongside nitrates.\n"))
        XCTAssertTrue(released.body.contains("We have released the hold of £17.69 on your card, so no money has been taken."))
        let refunded = CustomerEmail.rejected(givenName: "Sam", orderID: orderID, prescriberReason: "Not suitable.",
                                              payment: .refunded(Pence(4_599)))
        XCTAssertTrue(refunded.body.contains("We have refunded £45.99 to your card."))
        XCTAssertEqual(refunded.subject, released.subject)
    }

    func testCancellationSaysWhyAndThatThePaymentIsReleased() {
        XCTAssertTrue(everyEmail[7].body.contains("As you asked, we have cancelled your order ord_01JABCDEF."))
        XCTAssertTrue(everyEmail[7].body.contains("released the hold of £17.69"))
        let lapsed = CustomerEmail.cancelled(givenName: "Sam", orderID: orderID, reason: .informationNotSupplied(days: 14),
                                             releasedInPence: Pence(19_900))
        XCTAssertTrue(lapsed.body.contains("did not reach us within 14 days"))
        XCTAssertTrue(lapsed.body.contains("released the hold of £199.00"))
    }

    func testTicketReplyCarriesTheReplyText() {
        let email = everyEmail[8]
        XCTAssertEqual(email.reference, "tkt_42")
        XCTAssertTrue(email.subject.contains("tkt_42"))
        XCTAssertTrue(email.body.contains("    Your parcel left our pharmacy this morning.\n"))
    }

    func testMessageIDsAreStableAndDistinctPerNotification() {
        let from = EmailAddress("orders@medexpress.example", name: "MedExpress")
        let to = EmailAddress("sam@example.com", name: "Sam")
        let ids = everyEmail.map { $0.message(from: from, to: to, domain: "medexpress.example").messageID }
        XCTAssertEqual(ids, [
            "ord_01JABCDEF.confirmation@medexpress.example",
            "ord_01JABCDEF.under-review@medexpress.example",
            "ord_01JABCDEF.information-requested-2@medexpress.example",
            "ord_01JABCDEF.approved@medexpress.example",
            "ord_01JABCDEF.dispatched@medexpress.example",
            "ord_01JABCDEF.delivered@medexpress.example",
            "ord_01JABCDEF.rejected@medexpress.example",
            "ord_01JABCDEF.cancelled@medexpress.example",
            "tkt_42.ticket-reply-3@medexpress.example",
            "cmp_7.complaint-resolved@medexpress.example",
        ])
        XCTAssertEqual(everyEmail.map { $0.message(from: from, to: to, domain: "medexpress.example") },
                       everyEmail.map { $0.message(from: from, to: to, domain: "medexpress.example") })
        let message = everyEmail[4].message(from: from, to: to, domain: "medexpress.example")
        XCTAssertEqual(message.subject, everyEmail[4].subject)
        XCTAssertEqual(message.body, everyEmail[4].body)
        XCTAssertEqual(message.to, to)
    }

    func testACustomerWithoutAGivenNameIsStillGreeted() {
        XCTAssertTrue(CustomerEmail.delivered(givenName: "", orderID: orderID).body.hasPrefix("Hello,\n\n"))
    }
}
