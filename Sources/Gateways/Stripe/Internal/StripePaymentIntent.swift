import Domain

/// The fields we read of a PaymentIntent (https://docs.stripe.com/api/payment_intents/object).
struct StripePaymentIntent {
    let id: String
    /// `requires_capture`, `succeeded`, `canceled`, `requires_payment_method`, …
    let status: String
    let amount: Int64
    /// `payment_method.card.fingerprint`, when the payment method was expanded and is a card.
    let cardFingerprint: String?
    /// The decline of a failed confirmation (`last_payment_error`): decline code or code, and message.
    let lastErrorCode: String?
    let lastErrorMessage: String?

    init(_ object: JSONObjectNode) throws(JSONError) {
        id = try object.required("id").nonEmptyString()
        status = try object.required("status").string()
        amount = try object.required("amount").int64()
        if let method = object.optional("payment_method"), case .object = method.value,
           let card = try method.object().optional("card"), case .object = card.value {
            cardFingerprint = try card.object().optional("fingerprint")?.string()
        } else {
            cardFingerprint = nil
        }
        if let lastError = object.optional("last_payment_error"), case .object = lastError.value {
            let error = try lastError.object()
            lastErrorCode = Self.text(error, "decline_code") ?? Self.text(error, "code")
            lastErrorMessage = Self.text(error, "message")
        } else {
            lastErrorCode = nil
            lastErrorMessage = nil
        }
    }

    private static func text(_ object: JSONObjectNode, _ key: String) -> String? {
        guard case .string(let text)? = object.optional(key)?.value, !text.isEmpty else { return nil }
        return text
    }
}
