/// A customer's answer to one question.
public enum AnswerValue: Hashable, Sendable {
    case yesNo(Bool)
    /// The key of the chosen choice.
    case choice(String)
    /// The keys of the chosen choices, in the questionnaire's order.
    case choices([String])
    case number(Double)
    case text(String)
}
