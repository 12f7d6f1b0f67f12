extension Question {
    /// Checks that `answer` fits this question: the same kind, choice keys that exist (each once),
    /// a finite number within the bounds, text that is not blank and within the length limit.
    public func validate(_ answer: AnswerValue) throws(AnswerError) {
        func fail(_ problem: AnswerError.Problem) -> AnswerError { AnswerError(questionID: id, problem: problem) }
        switch (kind, answer) {
        case (.yesNo, .yesNo):
            return
        case let (.singleChoice(choices), .choice(key)):
            guard choices.contains(where: { $0.key == key }) else { throw fail(.unknownChoice(key)) }
        case let (.multipleChoice(choices), .choices(keys)):
            var seen: Set<String> = []
            for key in keys {
                guard choices.contains(where: { $0.key == key }) else { throw fail(.unknownChoice(key)) }
                guard seen.insert(key).inserted else { throw fail(.repeatedChoice(key)) }
            }
        case let (.number(minimum, maximum, unit), .number(value)):
            guard value.isFinite else { throw fail(.notFinite) }
            guard value >= minimum && value <= maximum else {
                throw fail(.outOfRange(value: value, minimum: minimum, maximum: maximum, unit: unit))
            }
        case let (.text(maxCharacters), .text(text)):
            guard text.contains(where: { !$0.isWhitespace }) else { throw fail(.emptyText) }
            guard text.count <= maxCharacters else { throw fail(.textTooLong(characters: text.count, maximum: maxCharacters)) }
        case (.yesNo, _): throw fail(.wrongKind(expected: "yes or no"))
        case (.singleChoice, _): throw fail(.wrongKind(expected: "one choice"))
        case (.multipleChoice, _): throw fail(.wrongKind(expected: "a list of choices"))
        case (.number, _): throw fail(.wrongKind(expected: "a number"))
        case (.text, _): throw fail(.wrongKind(expected: "text"))
        }
    }
}

extension Questionnaire {
    /// Checks `answer` against the question `id`; an id not in this questionnaire is refused.
    public func validate(_ answer: AnswerValue, for id: QuestionID) throws(AnswerError) {
        guard let question = question(id) else { throw AnswerError(questionID: id, problem: .unknownQuestion) }
        try question.validate(answer)
    }

    /// The required questions without an answer in `answers`, in questionnaire order.
    public func missingRequired(_ answers: [QuestionID: AnswerValue]) -> [QuestionID] {
        questions.filter { $0.required && answers[$0.id] == nil }.map(\.id)
    }
}
