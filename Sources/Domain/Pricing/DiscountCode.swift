/// A discount code a customer may enter at checkout (API.md, Discount codes): a percentage or a
/// fixed amount off the medication, never off delivery.
public struct DiscountCode: Hashable, Sendable {
    /// How much a code takes off the medication.
    public enum Kind: Hashable, Sendable {
        /// Basis points of the medication price: 2600 is 26%. 1 … 10 000.
        case percentage(basisPoints: Int)
        /// A fixed amount, capped at the medication price. More than zero.
        case fixed(Pence)
    }

    /// Upper-case letters and digits, `codeLengths` long: "LATESTBF26".
    public let code: String
    public let kind: Kind
    /// The first instant the code is accepted; nil: from its creation.
    public let validFrom: Instant?
    /// The first instant the code is no longer accepted (the window is half-open); nil: no end.
    public let validUntil: Instant?
    /// Redemptions allowed across all customers; nil: no cap.
    public let maxRedemptions: Int?
    /// Only on a customer's first order.
    public let firstOrderOnly: Bool

    /// The lengths a code may have.
    public static let codeLengths = 3...32
    /// The percentages a code may take, in basis points.
    public static let basisPointsRange = 1...10_000

    /// A code whose text is normalised (trimmed, upper-cased) and whose terms are checked.
    public init(code: String, kind: Kind, validFrom: Instant? = nil, validUntil: Instant? = nil,
                maxRedemptions: Int? = nil, firstOrderOnly: Bool = false) throws(DiscountCodeError) {
        let normalised = DiscountCode.normalise(code)
        guard DiscountCode.codeLengths.contains(normalised.count),
              normalised.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) || ("0"..."9").contains($0) }) else {
            throw .malformedCode(code)
        }
        switch kind {
        case .percentage(let basisPoints):
            guard DiscountCode.basisPointsRange.contains(basisPoints) else { throw .percentageOutOfRange(basisPoints: basisPoints) }
        case .fixed(let amount):
            guard amount > .zero else { throw .fixedAmountNotPositive(amount) }
        }
        if let maxRedemptions, maxRedemptions < 1 { throw .maxRedemptionsNotPositive(maxRedemptions) }
        if let validFrom, let validUntil, validUntil <= validFrom { throw .emptyValidityWindow }
        self.code = normalised
        self.kind = kind
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.maxRedemptions = maxRedemptions
        self.firstOrderOnly = firstOrderOnly
    }

    /// The form codes are stored and looked up in: surrounding spaces dropped, letters upper-cased
    /// (" latestbf26 " → "LATESTBF26").
    public static func normalise(_ text: String) -> String {
        let trimmed = text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()
        return String(trimmed).uppercased()
    }

    /// The amount this code takes off `medicationInPence`: a percentage rounded half up to the
    /// penny (26% of 1999p = 519.74p → 520p), a fixed amount capped at the medication price.
    public func amountOff(medicationInPence medication: Pence) -> Pence {
        precondition(medication >= .zero, "negative medication price")
        switch kind {
        case .percentage(let basisPoints):
            // Half up: add half the divisor before the integer division (amounts are never negative).
            return Pence((medication.value * Int64(basisPoints) + 5_000) / 10_000)
        case .fixed(let amount):
            return min(amount, medication)
        }
    }

    /// Why this code cannot be used now by this customer, or nil when it can.
    public func refusal(for eligibility: DiscountEligibility) -> QuoteError? {
        if let validFrom, eligibility.now < validFrom { return .discountNotYetValid(code: code, validFrom: validFrom) }
        if let validUntil, eligibility.now >= validUntil { return .discountExpired(code: code, validUntil: validUntil) }
        if let maxRedemptions, eligibility.redemptionsSoFar >= maxRedemptions { return .discountExhausted(code: code) }
        if firstOrderOnly && !eligibility.isFirstOrder { return .discountFirstOrderOnly(code: code) }
        return nil
    }
}
