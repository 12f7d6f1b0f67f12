/// What a rule does when its condition holds. Rules advise: there is no action that approves.
public enum RuleAction: Hashable, Sendable {
    /// Removes medications from the options offered.
    case exclude([MedicationID], reason: String)
    /// Raises a flag for the prescriber.
    case flag(code: String, message: RuleMessage)
}

/// A flag's message with `{name}` placeholders for derived values ("{bmi}") and clinical facts
/// ("{changed_safety_questions}"), filled in when the rule fires.
public struct RuleMessage: Hashable, Sendable {
    public enum Segment: Hashable, Sendable {
        case text(String)
        case derived(String)
        case fact(ClinicalFact)
    }

    public let segments: [Segment]

    public init(segments: [Segment]) { self.segments = segments }
}
