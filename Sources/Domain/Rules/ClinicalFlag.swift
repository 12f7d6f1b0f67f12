/// A concern raised for the prescriber's review. Flags advise; only a prescriber decides.
public struct ClinicalFlag: Hashable, Sendable {
    /// A stable snake_case code declared in the rule set's data ("bmi_below_27").
    public let code: String
    /// The rule that raised it.
    public let ruleID: String
    /// The message for the prescriber, with the values that triggered it filled in.
    public let message: String

    public init(code: String, ruleID: String, message: String) {
        self.code = code
        self.ruleID = ruleID
        self.message = message
    }
}
