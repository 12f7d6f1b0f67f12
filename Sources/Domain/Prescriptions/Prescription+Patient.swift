extension Prescription {
    /// The person the prescription is for (HMR 2012 reg 217(4)(d)).
    public struct Patient: Hashable, Sendable {
        public let name: String
        public let address: Address
        public let dateOfBirth: CalendarDay

        public init(name: String, address: Address, dateOfBirth: CalendarDay) {
            self.name = name
            self.address = address
            self.dateOfBirth = dateOfBirth
        }
    }
}
