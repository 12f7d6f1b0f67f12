/// A medication the rules removed from the options offered, and why.
public struct Exclusion: Hashable, Sendable {
    public let medication: MedicationID
    /// The rule that removed it.
    public let ruleID: String
    /// The clinical reason, for the prescriber and the consultation record.
    public let reason: String

    public init(medication: MedicationID, ruleID: String, reason: String) {
        self.medication = medication
        self.ruleID = ruleID
        self.reason = reason
    }
}
