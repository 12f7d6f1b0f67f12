/// One line of a quote, as the customer sees it on the order summary.
public struct QuoteLine: Hashable, Sendable {
    /// What the line charges or takes off.
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case medication
        case discount
        case delivery
    }

    public let kind: Kind
    /// "2 × Sildenafil 50 mg, 8 tablets", "Discount LATESTBF26 (26% off medication)", "Royal Mail 1st Class".
    public let description: String
    /// The line's amount; negative for a discount.
    public let amountInPence: Pence

    public init(kind: Kind, description: String, amountInPence: Pence) {
        self.kind = kind
        self.description = description
        self.amountInPence = amountInPence
    }
}
