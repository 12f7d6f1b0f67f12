/// Why no quote (and so no checkout) can be given, in words the customer can act on.
public enum QuoteError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Packs outside 1 … `Pricing.maxPacksPerOrder`.
    case quantityOutOfRange(quantity: Int)
    /// A cold-chain product with a delivery option that does not arrive the next day.
    case refrigeratedNeedsNextDayDelivery(product: ProductID, delivery: DeliveryOptionID, deliveryName: String)
    case discountNotYetValid(code: String, validFrom: Instant)
    case discountExpired(code: String, validUntil: Instant)
    /// The code has been redeemed as often as it may be.
    case discountExhausted(code: String)
    /// A first-order-only code on a later order.
    case discountFirstOrderOnly(code: String)

    /// The request itself is wrong (INVALID_ARGUMENT, naming `field`); otherwise the state of the
    /// code or the customer forbids it (FAILED_PRECONDITION).
    public var isInvalidArgument: Bool {
        switch self {
        case .quantityOutOfRange, .refrigeratedNeedsNextDayDelivery: true
        case .discountNotYetValid, .discountExpired, .discountExhausted, .discountFirstOrderOnly: false
        }
    }

    /// The request field at fault.
    public var field: String {
        switch self {
        case .quantityOutOfRange: "quantity"
        case .refrigeratedNeedsNextDayDelivery: "delivery_option_id"
        case .discountNotYetValid, .discountExpired, .discountExhausted, .discountFirstOrderOnly: "discount_code"
        }
    }

    public var description: String {
        switch self {
        case .quantityOutOfRange(let quantity):
            "quantity must be 1–\(Pricing.maxPacksPerOrder) packs, not \(quantity)"
        case .refrigeratedNeedsNextDayDelivery(_, _, let deliveryName):
            "this medicine must stay refrigerated and can only be sent by a next-day service; \(deliveryName) is not one: choose Special Delivery"
        case .discountNotYetValid(let code, let validFrom):
            "discount code \(code) can be used from \(UKTime.localDay(at: validFrom))"
        case .discountExpired(let code, let validUntil):
            "discount code \(code) expired on \(UKTime.localDay(at: Instant(microsecondsSinceEpoch: validUntil.microsecondsSinceEpoch - 1)))"
        case .discountExhausted(let code):
            "discount code \(code) has been used the maximum number of times"
        case .discountFirstOrderOnly(let code):
            "discount code \(code) is for a first order only, and you have ordered before"
        }
    }
}
