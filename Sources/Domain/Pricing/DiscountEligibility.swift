/// What a discount code's conditions are checked against: the customer's history, the code's use
/// so far and the time of the quote.
public struct DiscountEligibility: Hashable, Sendable {
    /// The customer has no earlier order (cancelled and rejected ones are the caller's to count).
    public let isFirstOrder: Bool
    /// Redemptions of the code by all customers so far.
    public let redemptionsSoFar: Int
    public let now: Instant

    public init(isFirstOrder: Bool, redemptionsSoFar: Int, now: Instant) {
        precondition(redemptionsSoFar >= 0, "negative redemption count")
        self.isFirstOrder = isFirstOrder
        self.redemptionsSoFar = redemptionsSoFar
        self.now = now
    }
}
