/// Why a discount code's definition was refused (an administrator's input: INVALID_ARGUMENT).
public enum DiscountCodeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Not 3–32 letters A–Z and digits once trimmed and upper-cased.
    case malformedCode(String)
    case percentageOutOfRange(basisPoints: Int)
    case fixedAmountNotPositive(Pence)
    case maxRedemptionsNotPositive(Int)
    /// `validUntil` is not after `validFrom`.
    case emptyValidityWindow

    /// The request field at fault.
    public var field: String {
        switch self {
        case .malformedCode: "code"
        case .percentageOutOfRange, .fixedAmountNotPositive: "kind"
        case .maxRedemptionsNotPositive: "max_redemptions"
        case .emptyValidityWindow: "valid_until"
        }
    }

    public var description: String {
        switch self {
        case .malformedCode(let code):
            "discount code \"\(code)\" must be \(DiscountCode.codeLengths.lowerBound)–\(DiscountCode.codeLengths.upperBound) letters A–Z and digits"
        case .percentageOutOfRange(let basisPoints):
            "a percentage discount must be 1–10000 basis points (0.01%–100%), not \(basisPoints)"
        case .fixedAmountNotPositive(let amount):
            "a fixed discount must be more than £0.00, not \(amount)"
        case .maxRedemptionsNotPositive(let count):
            "max_redemptions must be at least 1 when set, not \(count)"
        case .emptyValidityWindow:
            "valid_until must be after valid_from"
        }
    }
}
