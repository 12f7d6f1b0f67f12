/// One sellable pack of a medication: the unit a customer chooses and the pharmacy dispenses.
public struct Product: Hashable, Sendable {
    public let id: ProductID
    public let medicationID: MedicationID
    /// As printed on the pack and the prescription: "50 mg", "2.5 mg/0.5 ml".
    public let strength: String
    /// Units in the pack (tablets, pens, doses).
    public let quantity: Int
    /// "8 tablets", "4 pre-filled pens".
    public let packDescription: String
    public let priceInPence: Pence
    /// GS1 GTIN-13 or GTIN-14 printed on the pack, matched by the pharmacy's scanner.
    public let gtin: String
    /// Cold chain (2–8 °C): ships in refrigerated packaging by a next-day service only.
    public let refrigerated: Bool

    public init(id: ProductID, medicationID: MedicationID, strength: String, quantity: Int, packDescription: String,
                priceInPence: Pence, gtin: String, refrigerated: Bool) {
        self.id = id
        self.medicationID = medicationID
        self.strength = strength
        self.quantity = quantity
        self.packDescription = packDescription
        self.priceInPence = priceInPence
        self.gtin = gtin
        self.refrigerated = refrigerated
    }
}
