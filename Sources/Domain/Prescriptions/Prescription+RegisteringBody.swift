extension Prescription {
    /// The UK regulator whose register a prescriber is on, by the abbreviation printed on prescriptions.
    public enum RegisteringBody: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
        /// General Medical Council: doctors.
        case gmc = "GMC"
        /// General Pharmaceutical Council: pharmacists, including pharmacist independent prescribers.
        case gphc = "GPhC"

        /// Digits in a registration number: GMC reference numbers and GPhC registration numbers are 7.
        public var registrationNumberDigitCount: Int { 7 }

        /// "GMC", "GPhC".
        public var description: String { rawValue }
    }
}
