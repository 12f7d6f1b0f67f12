/// A UK-licensed prescription-only medicine offered for a treatment, with its packs.
public struct Medication: Hashable, Sendable {
    public let id: MedicationID
    /// The name on the prescription: "Sildenafil", "Mounjaro (tirzepatide)".
    public let name: String
    /// The pharmaceutical form: "tablet", "solution for injection in pre-filled pen", "pressurised inhalation".
    public let form: String
    /// The default directions the prescriber may keep or change ("One tablet one hour before sexual activity…").
    public let directions: String
    public let products: [Product]

    public init(id: MedicationID, name: String, form: String, directions: String, products: [Product]) {
        self.id = id
        self.name = name
        self.form = form
        self.directions = directions
        self.products = products
    }
}
