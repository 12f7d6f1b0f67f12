/// Exact totals for a medication, a delivery option and an optional discount code, in pence.
/// `totalInPence` = `medicationInPence` − `discountInPence` + `deliveryInPence`.
public struct Quote: Hashable, Sendable {
    /// Medication, then discount (if any), then delivery.
    public let lines: [QuoteLine]
    public let medicationInPence: Pence
    /// The amount taken off: 0 … `medicationInPence`.
    public let discountInPence: Pence
    public let deliveryInPence: Pence
    public let totalInPence: Pence
    /// The normalised code applied, if any.
    public let discountCode: String?

    public init(lines: [QuoteLine], medicationInPence: Pence, discountInPence: Pence, deliveryInPence: Pence,
                discountCode: String?) {
        precondition(discountInPence >= .zero && discountInPence <= medicationInPence, "discount outside 0…medication")
        self.lines = lines
        self.medicationInPence = medicationInPence
        self.discountInPence = discountInPence
        self.deliveryInPence = deliveryInPence
        self.totalInPence = medicationInPence - discountInPence + deliveryInPence
        self.discountCode = discountCode
    }
}
