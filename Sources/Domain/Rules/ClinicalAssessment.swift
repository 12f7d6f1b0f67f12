/// What a rule set concluded about a consultation: the medications that remain, those removed and
/// why, the flags for the prescriber and the values it computed. It never approves anything.
public struct ClinicalAssessment: Sendable, Hashable {
    /// The version of the rule set that produced it ("1"), kept with the consultation.
    public let ruleSetVersion: String
    /// The medications not excluded, in the treatment's order.
    public let offeredMedications: [MedicationID]
    /// Every exclusion, in rule order; a medication removed by two rules appears twice.
    public let exclusions: [Exclusion]
    public let flags: [ClinicalFlag]
    /// Derived values by name ("bmi"), for the prescriber's view.
    public let derivedValues: [String: Double]

    public init(ruleSetVersion: String, offeredMedications: [MedicationID], exclusions: [Exclusion],
                flags: [ClinicalFlag], derivedValues: [String: Double]) {
        self.ruleSetVersion = ruleSetVersion
        self.offeredMedications = offeredMedications
        self.exclusions = exclusions
        self.flags = flags
        self.derivedValues = derivedValues
    }

    /// Whether the rules raised a flag with `code`.
    public func hasFlag(_ code: String) -> Bool { flags.contains { $0.code == code } }
}
