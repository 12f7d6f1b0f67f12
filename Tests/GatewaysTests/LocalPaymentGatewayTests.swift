import Domain
import Gateways
import XCTest

/// The built-in gateway a laptop runs with: Stripe's test cards and rules, in memory.
final class LocalPaymentGatewayTests: XCTestCase {
    private let gateway = LocalPaymentGateway()

    private func authorize(_ pence: Int64, card: String = "pm_card_visa", key: String) async throws(PaymentError) -> AuthorizedPayment {
        try await gateway.authorize(PaymentAuthorization(amount: Pence(pence), paymentMethodToken: card,
                                                         orderReference: "ord_\(key)", idempotencyKey: key))
    }

    func testCheckoutAuthorisesAndApprovalCapturesPart() async throws {
        let payment = try await authorize(5_000, key: "a1")
        XCTAssertEqual(payment.amount, Pence(5_000))
        try await gateway.capture(paymentID: payment.paymentID, amount: Pence(4_000), idempotencyKey: "c1")
        let again = await paymentError { try await self.gateway.capture(paymentID: payment.paymentID, amount: Pence(1_000), idempotencyKey: "c2") }
        XCTAssertNotNil(rejectedMessage(again))
    }

    func testCaptureCannotExceedTheAuthorisation() async throws {
        let payment = try await authorize(5_000, key: "a1")
        let error = await paymentError { try await self.gateway.capture(paymentID: payment.paymentID, amount: Pence(5_001), idempotencyKey: "c1") }
        XCTAssertNotNil(rejectedMessage(error))
    }

    func testNoCaptureAfterRelease() async throws {
        let payment = try await authorize(5_000, key: "a1")
        try await gateway.release(paymentID: payment.paymentID, idempotencyKey: "r1")
        let error = await paymentError { try await self.gateway.capture(paymentID: payment.paymentID, amount: Pence(5_000), idempotencyKey: "c1") }
        XCTAssertNotNil(rejectedMessage(error))
    }

    func testRefundsAddUpToAtMostWhatWasCaptured() async throws {
        let payment = try await authorize(5_000, key: "a1")
        try await gateway.capture(paymentID: payment.paymentID, amount: Pence(4_000), idempotencyKey: "c1")
        let first = try await gateway.refund(paymentID: payment.paymentID, amount: Pence(1_500), idempotencyKey: "f1")
        let tooMuch = await paymentError { try await _ = self.gateway.refund(paymentID: payment.paymentID, amount: Pence(2_501), idempotencyKey: "f2") }
        XCTAssertNotNil(rejectedMessage(tooMuch))
        let rest = try await gateway.refund(paymentID: payment.paymentID, amount: Pence(2_500), idempotencyKey: "f3")
        XCTAssertNotEqual(first.refundID, rest.refundID)
        let more = await paymentError { try await _ = self.gateway.refund(paymentID: payment.paymentID, amount: Pence(1), idempotencyKey: "f4") }
        XCTAssertNotNil(rejectedMessage(more))
    }

    func testAnUncapturedPaymentIsReleasedNotRefunded() async throws {
        let payment = try await authorize(5_000, key: "a1")
        let error = await paymentError { try await _ = self.gateway.refund(paymentID: payment.paymentID, amount: Pence(100), idempotencyKey: "f1") }
        XCTAssertNotNil(rejectedMessage(error))
    }

    func testARetriedCallReturnsTheFirstResult() async throws {
        let first = try await authorize(5_000, key: "a1")
        let again = try await authorize(5_000, key: "a1")
        XCTAssertEqual(first, again)
        try await gateway.capture(paymentID: first.paymentID, amount: Pence(5_000), idempotencyKey: "c1")
        try await gateway.capture(paymentID: first.paymentID, amount: Pence(5_000), idempotencyKey: "c1")
        let refund = try await gateway.refund(paymentID: first.paymentID, amount: Pence(5_000), idempotencyKey: "f1")
        let refundAgain = try await gateway.refund(paymentID: first.paymentID, amount: Pence(5_000), idempotencyKey: "f1")
        XCTAssertEqual(refund, refundAgain)
    }

    func testAKeyReusedWithOtherParametersIsRejected() async throws {
        _ = try await authorize(5_000, key: "a1")
        let error = await paymentError { try await _ = self.authorize(6_000, key: "a1") }
        XCTAssertTrue(rejectedMessage(error)?.contains("same parameters") ?? false)
    }

    func testADeclineIsRememberedForItsKey() async throws {
        let first = await paymentError { try await _ = self.authorize(5_000, card: "pm_card_chargeDeclinedInsufficientFunds", key: "a1") }
        XCTAssertEqual(first, .declined(code: "insufficient_funds", reason: "Your card has insufficient funds."))
        let again = await paymentError { try await _ = self.authorize(5_000, card: "pm_card_chargeDeclinedInsufficientFunds", key: "a1") }
        XCTAssertEqual(again, first)
    }

    func testStripesTestCardsDeclineAsStripeDoes() async throws {
        let declined = await paymentError { try await _ = self.authorize(1_000, card: "pm_card_chargeDeclined", key: "d1") }
        XCTAssertEqual(declined, .declined(code: "generic_decline", reason: "Your card was declined."))
        let expired = await paymentError { try await _ = self.authorize(1_000, card: "pm_card_chargeDeclinedExpiredCard", key: "d2") }
        XCTAssertEqual(expired, .declined(code: "expired_card", reason: "Your card has expired."))
        for card in ["pm_card_visa", "pm_card_mastercard", "pm_card_amex"] {
            _ = try await authorize(1_000, card: card, key: "ok-\(card)")
        }
    }

    func testAnUnknownTokenIsRejected() async throws {
        let error = await paymentError { try await _ = self.authorize(1_000, card: "pm_card_unknown", key: "u1") }
        XCTAssertEqual(error, .rejected("No such PaymentMethod: 'pm_card_unknown'"))
    }

    func testTwoCustomersWithOneCardShareAFingerprint() async throws {
        let alice = try await authorize(1_000, card: "pm_card_visa", key: "alice")
        let bob = try await authorize(2_000, card: "pm_card_visa", key: "bob")
        let carol = try await authorize(3_000, card: "pm_card_mastercard", key: "carol")
        XCTAssertEqual(alice.paymentMethodFingerprint, bob.paymentMethodFingerprint)
        XCTAssertNotEqual(alice.paymentMethodFingerprint, carol.paymentMethodFingerprint)
        XCTAssertEqual(alice.paymentMethodFingerprint, LocalTestCard.named("pm_card_visa")?.fingerprint)
    }

    func testTheMemoryBoundRefusesNewPayments() async throws {
        let small = LocalPaymentGateway(maxPayments: 1)
        _ = try await small.authorize(PaymentAuthorization(amount: Pence(100), paymentMethodToken: "pm_card_visa",
                                                            orderReference: "o1", idempotencyKey: "k1"))
        let error = await paymentError {
            try await _ = small.authorize(PaymentAuthorization(amount: Pence(100), paymentMethodToken: "pm_card_visa",
                                                                orderReference: "o2", idempotencyKey: "k2"))
        }
        XCTAssertNotNil(unavailableMessage(error))
    }
}
