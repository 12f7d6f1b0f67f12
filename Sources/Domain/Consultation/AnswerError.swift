/// Why an answer does not fit its question; the description names the question and is fit for an
/// INVALID_ARGUMENT status ("answer to 'weight_kg': 20 kg is outside 40 to 350 kg").
public struct AnswerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong with the answer.
    public enum Problem: Hashable, Sendable {
        /// The questionnaire has no such question.
        case unknownQuestion
        /// The answer is of another kind than the question takes ("yes or no", "one choice").
        case wrongKind(expected: String)
        case unknownChoice(String)
        case repeatedChoice(String)
        case notFinite
        case outOfRange(value: Double, minimum: Double, maximum: Double, unit: String)
        case emptyText
        case textTooLong(characters: Int, maximum: Int)
    }

    public let questionID: QuestionID
    public let problem: Problem

    public init(questionID: QuestionID, problem: Problem) {
        self.questionID = questionID
        self.problem = problem
    }

    public var description: String {
        let subject = "answer to '\(questionID)'"
        switch problem {
        case .unknownQuestion: return "\(subject): the questionnaire has no such question"
        case let .wrongKind(expected): return "\(subject): expected \(expected)"
        case let .unknownChoice(key): return "\(subject): '\(key)' is not one of the question's choices"
        case let .repeatedChoice(key): return "\(subject): '\(key)' is chosen more than once"
        case .notFinite: return "\(subject): expected a finite number"
        case let .outOfRange(value, minimum, maximum, unit):
            return "\(subject): \(plain(value)) \(unit) is outside \(plain(minimum)) to \(plain(maximum)) \(unit)"
        case .emptyText: return "\(subject): the text is empty"
        case let .textTooLong(characters, maximum):
            return "\(subject): \(characters) characters is more than the limit of \(maximum)"
        }
    }

    /// "350" rather than "350.0" for whole numbers.
    private func plain(_ value: Double) -> String {
        if value == value.rounded(), value.magnitude < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
