extension Prescription {
    /// The appropriate practitioner giving the prescription, as its particulars name them.
    public struct Prescriber: Hashable, Sendable {
        public let name: String
        /// The address the prescriber practises from (HMR 2012 reg 217(4)(a)).
        public let address: Address
        public let profession: Profession
        /// The number on the `profession.registeringBody` register: 7 digits.
        public let registrationNumber: String

        public init(name: String, address: Address, profession: Profession, registrationNumber: String) {
            self.name = name
            self.address = address
            self.profession = profession
            self.registrationNumber = registrationNumber
        }

        /// "GMC" for doctors, "GPhC" for pharmacist prescribers.
        public var registeringBody: RegisteringBody { profession.registeringBody }
    }
}
