extension Prescription {
    /// The kind of appropriate practitioner giving a prescription (HMR 2012 reg 217(4)(c)): the
    /// professions our prescribers hold, each registered with one regulator.
    public enum Profession: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
        /// A registered medical practitioner.
        case doctor = "doctor"
        /// A pharmacist annotated on the GPhC register as an independent prescriber.
        case pharmacistIndependentPrescriber = "pharmacist-independent-prescriber"

        /// The register the prescriber's registration number belongs to.
        public var registeringBody: RegisteringBody {
            switch self {
            case .doctor: .gmc
            case .pharmacistIndependentPrescriber: .gphc
            }
        }

        /// As printed on the prescription: "Doctor", "Pharmacist independent prescriber".
        public var title: String {
            switch self {
            case .doctor: "Doctor"
            case .pharmacistIndependentPrescriber: "Pharmacist independent prescriber"
            }
        }

        /// "doctor": the stable code in the canonical encoding and the store.
        public var description: String { rawValue }
    }
}
