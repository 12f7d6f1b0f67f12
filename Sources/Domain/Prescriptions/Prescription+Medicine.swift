extension Prescription {
    /// What is prescribed, and how it is to be taken.
    public struct Medicine: Hashable, Sendable {
        /// "Sildenafil", "Mounjaro (tirzepatide)".
        public let name: String
        /// "50 mg", "2.5 mg/0.5 ml".
        public let strength: String
        /// The pharmaceutical form: "tablet", "solution for injection in pre-filled pen".
        public let form: String
        /// Units to supply: tablets, pens, inhalers (1 … `Prescription.maxQuantityUnits`).
        public let quantityInUnits: Int
        /// The quantity as packs: "8 tablets", "4 pre-filled pens".
        public let packDescription: String
        /// "One tablet one hour before sexual activity. No more than one tablet in 24 hours."
        public let directions: String

        public init(name: String, strength: String, form: String, quantityInUnits: Int, packDescription: String,
                    directions: String) {
            self.name = name
            self.strength = strength
            self.form = form
            self.quantityInUnits = quantityInUnits
            self.packDescription = packDescription
            self.directions = directions
        }
    }
}
