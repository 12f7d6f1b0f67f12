import Domain

/// The payment seam on Stripe's REST API (PaymentIntents with manual capture, Refunds): form
/// bodies, a Bearer secret key, a pinned `Stripe-Version`, and the caller's idempotency key on
/// every POST, so a retried call is done once by Stripe.
public final class StripePaymentGateway: PaymentGateway {
    /// Stripe's largest amount for a charge in GBP minor units (£999,999.99).
    public static let maxAmountInPence: Int64 = 99_999_999
    /// Stripe's limit on an `Idempotency-Key`.
    public static let maxIdempotencyKeyLength = 255

    private let configuration: StripeConfiguration
    private let baseURL: HTTPURL
    private let client: HTTPClient

    /// A gateway with its HTTP client started; the key, URL and CA file are checked now.
    public init(configuration: StripeConfiguration) throws(HTTPClientError) {
        let key = configuration.secretKey
        guard key.hasPrefix("sk_") || key.hasPrefix("rk_"), !key.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw .invalidConfiguration("the Stripe secret key must be a secret (sk_…) or restricted (rk_…) key; a publishable pk_ key cannot take payments")
        }
        guard configuration.maxRetries >= 0, configuration.retryBackoffMilliseconds >= 0 else {
            throw .invalidConfiguration("maxRetries and retryBackoffMilliseconds cannot be negative")
        }
        let url = try HTTPURL(parsing: configuration.baseURL)
        guard url.isSecure || url.address.isLoopback else {
            throw .invalidURL("plain http is allowed only to loopback hosts; Stripe is https (\(configuration.baseURL))")
        }
        self.configuration = configuration
        self.baseURL = url
        self.client = try HTTPClient(configuration: configuration.http)
    }

    public func authorize(_ request: PaymentAuthorization) async throws(PaymentError) -> AuthorizedPayment {
        try Self.check(amount: request.amount)
        try Self.check(idempotencyKey: request.idempotencyKey)
        guard !request.paymentMethodToken.isEmpty else { throw .rejected("no payment method token was given") }
        let form = StripeForm([
            "amount": String(request.amount.value),
            "currency": "gbp",
            "payment_method": request.paymentMethodToken,
            "payment_method_types[]": "card",
            "confirm": "true",
            "capture_method": "manual",
            "metadata[order]": request.orderReference,
            // The expanded PaymentMethod carries the card's fingerprint.
            "expand[]": "payment_method",
        ])
        let operation = "authorising \(request.amount) for \(request.orderReference)"
        let intent = try await post("/v1/payment_intents", form, idempotencyKey: request.idempotencyKey, operation: operation,
                                    as: StripePaymentIntent.init)
        guard intent.status == "requires_capture" else { throw Self.unexpectedAuthorizationStatus(intent) }
        guard intent.amount == request.amount.value else {
            throw .rejected("Stripe authorised \(Pence(intent.amount)) on \(intent.id), not the \(request.amount) asked for")
        }
        guard let fingerprint = intent.cardFingerprint else {
            throw .rejected("Stripe's PaymentIntent \(intent.id) has no card fingerprint; only card payments are accepted")
        }
        return AuthorizedPayment(paymentID: intent.id, amount: request.amount, paymentMethodFingerprint: fingerprint)
    }

    public func capture(paymentID: String, amount: Pence, idempotencyKey: String) async throws(PaymentError) {
        try Self.check(amount: amount)
        try Self.check(idempotencyKey: idempotencyKey)
        try Self.check(paymentID: paymentID)
        let operation = "capturing \(amount) of \(paymentID)"
        let intent = try await post("/v1/payment_intents/\(paymentID)/capture", StripeForm(["amount_to_capture": String(amount.value)]),
                                    idempotencyKey: idempotencyKey, operation: operation, as: StripePaymentIntent.init)
        guard intent.status == "succeeded" else {
            throw .rejected("Stripe left \(paymentID) in status \(intent.status) after \(operation); expected succeeded")
        }
    }

    public func release(paymentID: String, idempotencyKey: String) async throws(PaymentError) {
        try Self.check(idempotencyKey: idempotencyKey)
        try Self.check(paymentID: paymentID)
        let operation = "releasing \(paymentID)"
        let intent = try await post("/v1/payment_intents/\(paymentID)/cancel", StripeForm([:]),
                                    idempotencyKey: idempotencyKey, operation: operation, as: StripePaymentIntent.init)
        guard intent.status == "canceled" else {
            throw .rejected("Stripe left \(paymentID) in status \(intent.status) after \(operation); expected canceled")
        }
    }

    public func refund(paymentID: String, amount: Pence, idempotencyKey: String) async throws(PaymentError) -> PaymentRefund {
        try Self.check(amount: amount)
        try Self.check(idempotencyKey: idempotencyKey)
        try Self.check(paymentID: paymentID)
        let operation = "refunding \(amount) of \(paymentID)"
        let refund = try await post("/v1/refunds", StripeForm(["payment_intent": paymentID, "amount": String(amount.value)]),
                                    idempotencyKey: idempotencyKey, operation: operation, as: StripeRefund.init)
        if refund.status == "failed" || refund.status == "canceled" {
            throw .rejected("Stripe's refund \(refund.id) of \(paymentID) \(refund.status): \(refund.failureReason ?? "no reason given")")
        }
        guard refund.amount == amount.value else {
            throw .rejected("Stripe refunded \(Pence(refund.amount)) of \(paymentID) in \(refund.id), not the \(amount) asked for")
        }
        return PaymentRefund(refundID: refund.id, amount: amount)
    }

    /// POSTs `form` to `path`, retrying while Stripe is unavailable (at most `maxRetries` times,
    /// backing off) with the same idempotency key; returns the 2xx response's object read by `read`.
    private func post<Object>(_ path: String, _ form: StripeForm, idempotencyKey: String, operation: String,
                              as read: (JSONObjectNode) throws(JSONError) -> Object) async throws(PaymentError) -> Object {
        let request = HTTPRequest(method: "POST", url: baseURL.replacingTarget(Self.join(baseURL.target, path)), headers: [
            HTTPHeader(name: "Authorization", value: "Bearer \(configuration.secretKey)"),
            HTTPHeader(name: "Content-Type", value: "application/x-www-form-urlencoded"),
            HTTPHeader(name: "Accept", value: "application/json"),
            HTTPHeader(name: "Stripe-Version", value: configuration.apiVersion),
            HTTPHeader(name: "Idempotency-Key", value: idempotencyKey),
        ], body: form.encoded)
        var retries = 0
        while true {
            let failure: StripeFailure
            do throws(StripeFailure) {
                return try await send(request, operation: operation, as: read)
            } catch {
                failure = error
            }
            guard failure.isRetryable, retries < configuration.maxRetries else { throw failure.error }
            let backoff = configuration.retryBackoffMilliseconds << min(retries, 16)
            retries += 1
            do {
                try await Task.sleep(for: .milliseconds(backoff))
            } catch {
                throw failure.error
            }
        }
    }

    private func send<Object>(_ request: HTTPRequest, operation: String,
                              as read: (JSONObjectNode) throws(JSONError) -> Object) async throws(StripeFailure) -> Object {
        let response: HTTPResponse
        do {
            response = try await client.send(request)
        } catch {
            throw StripeFailure(transport: error, host: baseURL.hostHeader)
        }
        guard (200..<300).contains(response.statusCode) else { throw StripeFailure(response: response, operation: operation) }
        do throws(JSONError) {
            return try read(try JSONNode(try JSONParser.parse(response.bodyText)).object())
        } catch {
            throw StripeFailure(unexpected: error, operation: operation)
        }
    }

    /// Why an authorisation that did not end in `requires_capture` failed
    /// (https://docs.stripe.com/payments/paymentintents/lifecycle).
    private static func unexpectedAuthorizationStatus(_ intent: StripePaymentIntent) -> PaymentError {
        switch intent.status {
        case "requires_payment_method":
            // The confirmation failed; Stripe keeps the card's decline on the intent.
            return .declined(code: intent.lastErrorCode ?? "card_declined", reason: intent.lastErrorMessage ?? "Your card was declined.")
        case "requires_action":
            return .declined(code: "authentication_required",
                             reason: "Your bank asks you to authenticate this payment; please try again and complete the check.")
        case "succeeded":
            return .rejected("Stripe captured \(intent.id) at once, though manual capture was asked for")
        default:
            return .rejected("Stripe left \(intent.id) in status \(intent.status) after authorising; expected requires_capture")
        }
    }

    private static func check(amount: Pence) throws(PaymentError) {
        guard amount.value > 0, amount.value <= maxAmountInPence else {
            throw .rejected("an amount must be between 1p and \(Pence(maxAmountInPence)), not \(amount)")
        }
    }

    private static func check(idempotencyKey: String) throws(PaymentError) {
        guard !idempotencyKey.isEmpty, idempotencyKey.utf8.count <= maxIdempotencyKeyLength,
              idempotencyKey.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F }) else {
            throw .rejected("an idempotency key must be 1 to \(maxIdempotencyKeyLength) printable ASCII characters")
        }
    }

    /// A PaymentIntent id goes into the request path, so only Stripe's id alphabet is let through.
    private static func check(paymentID: String) throws(PaymentError) {
        guard paymentID.hasPrefix("pi_"), paymentID.utf8.count <= 255,
              paymentID.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }) else {
            throw .rejected("\(paymentID.debugDescription) is not a Stripe PaymentIntent id")
        }
    }

    private static func join(_ base: String, _ path: String) -> String {
        base.hasSuffix("/") ? String(base.dropLast()) + path : base + path
    }
}
