import Domain
import Foundation
import Gateways
import Glibc
import RPCCore
import XCTest

/// The Stripe gateway against the stand-in: the payment journey of an order (authorised at
/// checkout, captured on approval, released on rejection, refunded on complaint), and what
/// happens when Stripe or the network misbehaves.
final class StripePaymentGatewayTests: XCTestCase {
    private var standIn: StripeStandIn!

    override func setUp() async throws {
        standIn = try StripeStandIn()
    }

    override func tearDown() async throws {
        try await standIn.assertNoViolations()
        standIn = nil
    }

    private func authorization(_ pence: Int64, card: String = "pm_card_visa", key: String = UUID().uuidString) -> PaymentAuthorization {
        PaymentAuthorization(amount: Pence(pence), paymentMethodToken: card, orderReference: "ord_\(pence)", idempotencyKey: key)
    }

    func testCheckoutAuthorisesThenApprovalCapturesInFull() async throws {
        let gateway = try standIn.gateway()
        let payment = try await gateway.authorize(authorization(4_599))
        XCTAssertTrue(payment.paymentID.hasPrefix("pi_"))
        XCTAssertEqual(payment.amount, Pence(4_599))
        XCTAssertFalse(payment.paymentMethodFingerprint.isEmpty)
        try await gateway.capture(paymentID: payment.paymentID, amount: Pence(4_599), idempotencyKey: "cap-\(payment.paymentID)")

        let requests = try await standIn.requests()
        XCTAssertEqual(requests.map(\.path), ["/v1/payment_intents", "/v1/payment_intents/\(payment.paymentID)/capture"])
        let create = requests[0].params
        XCTAssertEqual(create["amount"], ["4599"])
        XCTAssertEqual(create["currency"], ["gbp"])
        XCTAssertEqual(create["capture_method"], ["manual"])
        XCTAssertEqual(create["confirm"], ["true"])
        XCTAssertEqual(create["metadata[order]"], ["ord_4599"])
        XCTAssertEqual(create["expand[]"], ["payment_method"])
        XCTAssertEqual(requests[1].params["amount_to_capture"], ["4599"])
        XCTAssertEqual(requests[1].idempotencyKey, "cap-\(payment.paymentID)")
    }

    func testTheSameCardGivesTheSameFingerprintToTwoCustomers() async throws {
        let gateway = try standIn.gateway()
        let first = try await gateway.authorize(authorization(1_000, card: "pm_card_visa"))
        let second = try await gateway.authorize(authorization(2_000, card: "pm_card_visa"))
        let other = try await gateway.authorize(authorization(3_000, card: "pm_card_mastercard"))
        XCTAssertNotEqual(first.paymentID, second.paymentID)
        XCTAssertEqual(first.paymentMethodFingerprint, second.paymentMethodFingerprint)
        XCTAssertNotEqual(first.paymentMethodFingerprint, other.paymentMethodFingerprint)
    }

    func testPartialCaptureThenPartialRefundsUpToWhatWasTaken() async throws {
        let gateway = try standIn.gateway()
        let payment = try await gateway.authorize(authorization(10_000))
        try await gateway.capture(paymentID: payment.paymentID, amount: Pence(8_000), idempotencyKey: "cap-1")
        let first = try await gateway.refund(paymentID: payment.paymentID, amount: Pence(3_000), idempotencyKey: "ref-1")
        XCTAssertTrue(first.refundID.hasPrefix("re_"))
        XCTAssertEqual(first.amount, Pence(3_000))
        let tooMuch = await paymentError { try await _ = gateway.refund(paymentID: payment.paymentID, amount: Pence(5_001), idempotencyKey: "ref-2") }
        XCTAssertNotNil(rejectedMessage(tooMuch), "\(String(describing: tooMuch))")
        let rest = try await gateway.refund(paymentID: payment.paymentID, amount: Pence(5_000), idempotencyKey: "ref-3")
        XCTAssertNotEqual(rest.refundID, first.refundID)
        let captureAgain = await paymentError { try await gateway.capture(paymentID: payment.paymentID, amount: Pence(100), idempotencyKey: "cap-2") }
        XCTAssertNotNil(rejectedMessage(captureAgain))
    }

    func testCaptureOfMoreThanAuthorisedIsRejected() async throws {
        let gateway = try standIn.gateway()
        let payment = try await gateway.authorize(authorization(2_500))
        let error = await paymentError { try await gateway.capture(paymentID: payment.paymentID, amount: Pence(2_501), idempotencyKey: "cap") }
        XCTAssertNotNil(rejectedMessage(error), "\(String(describing: error))")
    }

    func testRejectionReleasesTheHoldAndNothingCanBeCapturedAfter() async throws {
        let gateway = try standIn.gateway()
        let payment = try await gateway.authorize(authorization(3_000))
        try await gateway.release(paymentID: payment.paymentID, idempotencyKey: "rel-1")
        let capture = await paymentError { try await gateway.capture(paymentID: payment.paymentID, amount: Pence(3_000), idempotencyKey: "cap-1") }
        XCTAssertTrue(rejectedMessage(capture)?.contains("canceled") ?? false, "\(String(describing: capture))")
        let refund = await paymentError { try await _ = gateway.refund(paymentID: payment.paymentID, amount: Pence(1), idempotencyKey: "ref-1") }
        XCTAssertNotNil(rejectedMessage(refund))
    }

    func testDeclinedCardsAreDeclinedWithTheReason() async throws {
        let gateway = try standIn.gateway()
        let cases: [(String, String, String)] = [
            ("pm_card_chargeDeclined", "generic_decline", "Your card was declined."),
            ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds", "Your card has insufficient funds."),
            ("pm_card_chargeDeclinedExpiredCard", "expired_card", "Your card has expired."),
        ]
        for (card, code, reason) in cases {
            let error = await paymentError { try await _ = gateway.authorize(authorization(1_500, card: card)) }
            XCTAssertEqual(error, .declined(code: code, reason: reason), card)
        }
    }

    func testAnUnknownPaymentMethodIsRejected() async throws {
        let gateway = try standIn.gateway()
        let error = await paymentError { try await _ = gateway.authorize(authorization(1_500, card: "pm_forged")) }
        XCTAssertEqual(error, .rejected("No such PaymentMethod: 'pm_forged'"))
    }

    func testAWrongSecretKeyIsAnOperatorErrorNotRetried() async throws {
        let gateway = try standIn.gateway(secretKey: "sk_test_wrong_key_000000000000")
        let error = await paymentError { try await _ = gateway.authorize(authorization(1_500)) }
        let message = try XCTUnwrap(unavailableMessage(error), "\(String(describing: error))")
        XCTAssertTrue(message.contains("Stripe rejected the API key"), message)
        let requests = try await standIn.requests()
        XCTAssertEqual(requests.count, 1, "a 401 is not retried")
    }

    func testARetriedCheckoutWithTheSameKeyMakesOnePaymentIntent() async throws {
        let gateway = try standIn.gateway()
        let request = authorization(2_000, key: "checkout-ord-1")
        let first = try await gateway.authorize(request)
        let again = try await gateway.authorize(request)
        XCTAssertEqual(first, again)
        let requests = try await standIn.requests()
        XCTAssertEqual(requests.filter(\.processed).count, 1)
        XCTAssertEqual(requests.filter(\.replayed).count, 1)
    }

    func testReusingAKeyForAnotherAmountIsRejected() async throws {
        let gateway = try standIn.gateway()
        _ = try await gateway.authorize(authorization(2_000, key: "checkout-ord-2"))
        let error = await paymentError { try await _ = gateway.authorize(authorization(2_100, key: "checkout-ord-2")) }
        XCTAssertTrue(rejectedMessage(error)?.contains("idempotency key") ?? false, "\(String(describing: error))")
    }

    func testACaptureWhoseAnswerIsLostReachesStripeOnceDespiteTheRetry() async throws {
        let gateway = try standIn.gateway()
        let payment = try await gateway.authorize(authorization(5_000))
        let path = "/v1/payment_intents/\(payment.paymentID)/capture"
        try await standIn.injectFault(path: path, action: "drop")
        try await gateway.capture(paymentID: payment.paymentID, amount: Pence(5_000), idempotencyKey: "cap-lost")
        let captures = try await standIn.requests().filter { $0.path == path }
        XCTAssertEqual(captures.count, 2, "the lost answer was retried")
        XCTAssertEqual(Set(captures.map(\.idempotencyKey)), ["cap-lost"])
        XCTAssertEqual(captures.filter(\.processed).count, 1, "the capture reached Stripe exactly once")
        XCTAssertEqual(captures.last?.replayed, true)
    }

    /// A complaint's partial refund (issue 5): its answer is lost, the gateway retries, and then the
    /// outbox delivers the same refund again under the same key ("refund-" + our refund id): Stripe
    /// refunds once and every answer names the one refund.
    func testAPartialRefundRetriedWithTheSameKeyReachesStripeOnce() async throws {
        let gateway = try standIn.gateway()
        let payment = try await gateway.authorize(authorization(4_599))
        try await gateway.capture(paymentID: payment.paymentID, amount: Pence(4_599), idempotencyKey: "capture-\(payment.paymentID)")
        try await standIn.injectFault(path: "/v1/refunds", action: "drop")
        let first = try await gateway.refund(paymentID: payment.paymentID, amount: Pence(500), idempotencyKey: "refund-rfd_1")
        let redelivered = try await gateway.refund(paymentID: payment.paymentID, amount: Pence(500), idempotencyKey: "refund-rfd_1")
        XCTAssertEqual(redelivered, first)
        XCTAssertEqual(first.amount, Pence(500))
        let refunds = try await standIn.requests().filter { $0.path == "/v1/refunds" }
        XCTAssertEqual(refunds.count, 3, "the lost answer was retried, then the outbox delivered again")
        XCTAssertEqual(Set(refunds.map(\.idempotencyKey)), ["refund-rfd_1"])
        XCTAssertEqual(refunds.filter(\.processed).count, 1, "the refund reached Stripe exactly once")
        XCTAssertEqual(refunds.first(where: \.processed)?.params["amount"], ["500"])
        // The rest is still refundable, and no more.
        let rest = try await gateway.refund(paymentID: payment.paymentID, amount: Pence(4_099), idempotencyKey: "refund-rfd_2")
        XCTAssertNotEqual(rest.refundID, first.refundID)
        let tooMuch = await paymentError { try await _ = gateway.refund(paymentID: payment.paymentID, amount: Pence(1), idempotencyKey: "refund-rfd_3") }
        XCTAssertNotNil(rejectedMessage(tooMuch), "\(String(describing: tooMuch))")
    }

    func testAServerErrorIsRetriedWithTheSameKey() async throws {
        let gateway = try standIn.gateway()
        try await standIn.injectFault(path: "/v1/payment_intents", action: "status", status: 503)
        _ = try await gateway.authorize(authorization(1_200, key: "checkout-503"))
        let requests = try await standIn.requests().filter { $0.path == "/v1/payment_intents" }
        XCTAssertEqual(requests.map(\.status), [503, 200])
        XCTAssertEqual(requests.map(\.idempotencyKey), ["checkout-503", "checkout-503"])
    }

    func testAPersistentServerErrorIsUnavailableAfterTheLastRetry() async throws {
        let gateway = try standIn.gateway(maxRetries: 2)
        try await standIn.injectFault(path: "/v1/payment_intents", action: "status", status: 500, count: 10)
        let error = await paymentError { try await _ = gateway.authorize(authorization(1_200)) }
        XCTAssertTrue(unavailableMessage(error)?.contains("HTTP 500") ?? false, "\(String(describing: error))")
        let requests = try await standIn.requests()
        XCTAssertEqual(requests.count, 3, "one attempt and two retries")
    }

    func testRateLimitingIsUnavailable() async throws {
        let gateway = try standIn.gateway(maxRetries: 0)
        try await standIn.injectFault(path: "/v1/refunds", action: "status", status: 429)
        let error = await paymentError { try await _ = gateway.refund(paymentID: "pi_123", amount: Pence(100), idempotencyKey: "r") }
        XCTAssertTrue(unavailableMessage(error)?.contains("429") ?? false, "\(String(describing: error))")
    }

    func testAHostNameIsVerifiedAgainstTheCertificate() async throws {
        let gateway = try standIn.gateway(baseURL: "https://localhost:\(standIn.port)")
        _ = try await gateway.authorize(authorization(1_000))
    }

    func testAnUntrustedCertificateIsUnavailableAndNotRetried() async throws {
        let otherCA = try StandInPKI(caName: "Someone Else's CA")
        let gateway = try StripePaymentGateway(configuration: StripeConfiguration(
            secretKey: StripeStandIn.secretKey, baseURL: standIn.baseURL, trustRootsFile: otherCA.caFile,
            maxRetries: 2, retryBackoffMilliseconds: 1_000))
        let started = ContinuousClock.now
        let error = await paymentError { try await _ = gateway.authorize(authorization(1_000)) }
        let message = try XCTUnwrap(unavailableMessage(error), "\(String(describing: error))")
        XCTAssertTrue(message.contains("certificate"), message)
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(1), "a certificate failure is not retried")
        let requests = try await standIn.requests()
        XCTAssertTrue(requests.isEmpty)
    }

    func testChunkedResponsesAreRead() async throws {
        let chunked = try StripeStandIn(chunked: true)
        let gateway = try chunked.gateway()
        let payment = try await gateway.authorize(authorization(7_000))
        try await gateway.capture(paymentID: payment.paymentID, amount: Pence(7_000), idempotencyKey: "cap")
        let refund = try await gateway.refund(paymentID: payment.paymentID, amount: Pence(7_000), idempotencyKey: "ref")
        XCTAssertEqual(refund.amount, Pence(7_000))
        try await chunked.assertNoViolations()
    }
}

/// The Stripe gateway when Stripe cannot be reached at all: it must give up within its limits.
final class StripeUnreachableTests: XCTestCase {
    private func gateway(_ baseURL: String, connectTimeoutMilliseconds: Int = 2_000) throws -> StripePaymentGateway {
        try StripePaymentGateway(configuration: StripeConfiguration(
            secretKey: "sk_test_unreachable", baseURL: baseURL, maxRetries: 1, retryBackoffMilliseconds: 10,
            http: HTTPClientConfiguration(connectTimeoutMilliseconds: connectTimeoutMilliseconds,
                                          readTimeoutMilliseconds: 500, requestTimeoutMilliseconds: 2_000)))
    }

    private let checkout = PaymentAuthorization(amount: Pence(1_000), paymentMethodToken: "pm_card_visa",
                                                orderReference: "ord_1", idempotencyKey: "k1")

    func testNothingListeningIsUnavailableQuickly() async throws {
        let (fd, port) = try Socket.listen(on: SocketAddress(host: "127.0.0.1", port: 0), reusePort: false)
        close(fd)
        let gateway = try gateway("https://127.0.0.1:\(port)")
        let started = ContinuousClock.now
        let error = await paymentError { try await _ = gateway.authorize(checkout) }
        XCTAssertTrue(unavailableMessage(error)?.contains("cannot reach Stripe") ?? false, "\(String(describing: error))")
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(1))
    }

    func testAServerThatNeverAnswersTimesOut() async throws {
        // A listening socket nobody accepts from: the kernel completes TCP, the TLS handshake never starts.
        let (fd, port) = try Socket.listen(on: SocketAddress(host: "127.0.0.1", port: 0), reusePort: false)
        defer { close(fd) }
        let gateway = try gateway("https://127.0.0.1:\(port)", connectTimeoutMilliseconds: 300)
        let started = ContinuousClock.now
        let error = await paymentError { try await _ = gateway.authorize(checkout) }
        XCTAssertTrue(unavailableMessage(error)?.contains("timed out") ?? false, "\(String(describing: error))")
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(3))
    }

    func testTheSecretKeyIsMaskedInLogs() {
        let configuration = StripeConfiguration(secretKey: "sk_live_51Habcdefghijklmnopqrstuvwxyz")
        XCTAssertFalse(String(describing: configuration).contains("abcdefghijklmnopqrstuv"))
    }

    func testAPublishableKeyIsRefusedAtStartup() {
        XCTAssertThrowsError(try StripePaymentGateway(configuration: StripeConfiguration(secretKey: "pk_test_123")))
    }

    func testPlainHTTPIsRefusedBeyondLoopback() {
        XCTAssertThrowsError(try StripePaymentGateway(configuration: StripeConfiguration(secretKey: "sk_test_1",
                                                                                          baseURL: "http://api.stripe.com")))
    }
}
