import Domain
import Generated
import RPCCore

/// Answers between their wire form (`medexpress.v1.Answer`) and the domain's `AnswerValue`.
enum AnswerMessages {
    /// The domain value of `answer`; INVALID_ARGUMENT when no member is set.
    static func value(_ answer: Medexpress_V1_Answer?) throws(Status) -> AnswerValue {
        switch answer?.value {
        case .yesNo(let value)?: return .yesNo(value)
        case .choice(let key)?: return .choice(key)
        case .choices(let keys)?: return .choices(keys.keys)
        case .number(let number)?: return .number(number)
        case .text(let text)?: return .text(text)
        case nil: throw Status(.invalidArgument, "answer: one of yes_no, choice, choices, number or text is needed")
        }
    }

    static func message(_ value: AnswerValue) -> Medexpress_V1_Answer {
        var answer = Medexpress_V1_Answer()
        switch value {
        case .yesNo(let flag): answer.value = .yesNo(flag)
        case .choice(let key): answer.value = .choice(key)
        case .choices(let keys):
            var message = Medexpress_V1_ChoiceKeys()
            message.keys = keys
            answer.value = .choices(message)
        case .number(let number): answer.value = .number(number)
        case .text(let text): answer.value = .text(text)
        }
        return answer
    }
}
