extension Prescription {
    /// A UK postal address as written on a prescription: the prescriber's practice or the patient's home.
    public struct Address: Hashable, Sendable {
        /// Street lines, first to last: 1 to `Prescription.maxAddressLines`.
        public let lines: [String]
        public let town: String
        public let postcode: String

        public init(lines: [String], town: String, postcode: String) {
            self.lines = lines
            self.town = town
            self.postcode = postcode
        }
    }
}
