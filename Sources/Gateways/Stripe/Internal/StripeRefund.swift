import Domain

/// The fields we read of a Refund (https://docs.stripe.com/api/refunds/object).
struct StripeRefund {
    let id: String
    let amount: Int64
    /// `pending`, `requires_action`, `succeeded`, `failed` or `canceled`.
    let status: String
    let failureReason: String?

    init(_ object: JSONObjectNode) throws(JSONError) {
        id = try object.required("id").nonEmptyString()
        amount = try object.required("amount").int64()
        status = try object.required("status").string()
        if case .string(let reason)? = object.optional("failure_reason")?.value {
            failureReason = reason
        } else {
            failureReason = nil
        }
    }
}
