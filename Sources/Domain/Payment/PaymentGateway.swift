/// The seam to a card payment provider. Card data never reaches the server: the client sends the
/// provider's payment-method token. Every call carries an idempotency key, so a retried call is
/// done once by the provider.
public protocol PaymentGateway: Sendable {
    /// Places a hold for `request.amount` on the payment method (authorise now, capture later).
    func authorize(_ request: PaymentAuthorization) async throws(PaymentError) -> AuthorizedPayment
    /// Takes `amount` (at most the authorised amount) of an authorised payment.
    func capture(paymentID: String, amount: Pence, idempotencyKey: String) async throws(PaymentError)
    /// Releases the hold of an authorised, uncaptured payment.
    func release(paymentID: String, idempotencyKey: String) async throws(PaymentError)
    /// Returns `amount` of a captured payment to the customer.
    func refund(paymentID: String, amount: Pence, idempotencyKey: String) async throws(PaymentError) -> PaymentRefund
}

/// What to authorise.
public struct PaymentAuthorization: Hashable, Sendable {
    public let amount: Pence
    /// The provider's token for the customer's payment method ("pm_card_visa").
    public let paymentMethodToken: String
    /// Our reference, shown in the provider's dashboard ("ord_…").
    public let orderReference: String
    public let idempotencyKey: String

    public init(amount: Pence, paymentMethodToken: String, orderReference: String, idempotencyKey: String) {
        self.amount = amount
        self.paymentMethodToken = paymentMethodToken
        self.orderReference = orderReference
        self.idempotencyKey = idempotencyKey
    }
}

/// A successful authorisation.
public struct AuthorizedPayment: Hashable, Sendable {
    /// The provider's id of the payment ("pi_…").
    public let paymentID: String
    public let amount: Pence
    /// The provider's fingerprint of the card behind the token: the same card gives the same
    /// fingerprint for every customer, which is how shared payment methods are noticed.
    public let paymentMethodFingerprint: String

    public init(paymentID: String, amount: Pence, paymentMethodFingerprint: String) {
        self.paymentID = paymentID
        self.amount = amount
        self.paymentMethodFingerprint = paymentMethodFingerprint
    }
}

/// A refund the provider accepted.
public struct PaymentRefund: Hashable, Sendable {
    /// The provider's id of the refund ("re_…").
    public let refundID: String
    public let amount: Pence

    public init(refundID: String, amount: Pence) {
        self.refundID = refundID
        self.amount = amount
    }
}

/// Why the provider did not do what was asked.
public enum PaymentError: Error, Hashable, Sendable {
    /// The card or bank said no; `reason` is fit for the customer ("Your card was declined.").
    case declined(code: String, reason: String)
    /// The request was wrong for the payment's state or amounts (capturing a released payment,
    /// refunding more than was taken); the message says what.
    case rejected(String)
    /// The provider could not be reached or failed; safe to retry with the same idempotency key.
    case unavailable(String)
}
