/// When a rule applies: a condition over the answers, derived values and clinical facts. A test of
/// an unanswered question is false (only `answered` and `not` can be true of one).
public indirect enum RuleCondition: Hashable, Sendable {
    /// The answer is this yes/no, this single choice or this number.
    case equals(QuestionID, RuleValue)
    /// A multiple-choice answer includes this key.
    case includes(QuestionID, choice: String)
    /// A single-choice answer is one of the keys, or a multiple-choice answer includes one of them.
    case anyOf(QuestionID, choices: [String])
    /// The question has an answer.
    case answered(QuestionID)
    /// A number compared with a constant.
    case compare(RuleOperand, RuleComparison, Double)
    case all([RuleCondition])
    case any([RuleCondition])
    case not(RuleCondition)
}

/// A constant an `equals` condition compares an answer with.
public enum RuleValue: Hashable, Sendable {
    case yesNo(Bool)
    case choice(String)
    case number(Double)
}

/// A number a comparison reads.
public enum RuleOperand: Hashable, Sendable {
    /// The answer to a number question.
    case answer(QuestionID)
    /// A derived value by name ("bmi").
    case derived(String)
    /// A count from the clinical facts.
    case fact(ClinicalFact)
}

/// A numeric comparison, by the name the data files use.
public enum RuleComparison: String, Hashable, Sendable, CaseIterable {
    case lessThan = "less_than"
    case atMost = "at_most"
    case greaterThan = "greater_than"
    case atLeast = "at_least"

    func holds(_ left: Double, _ right: Double) -> Bool {
        switch self {
        case .lessThan: left < right
        case .atMost: left <= right
        case .greaterThan: left > right
        case .atLeast: left >= right
        }
    }
}
