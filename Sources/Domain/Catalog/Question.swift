/// One question of a questionnaire.
public struct Question: Hashable, Sendable {
    /// What kind of answer the question takes, and its bounds.
    public enum Kind: Hashable, Sendable {
        case yesNo
        /// Exactly one of the choices' keys.
        case singleChoice([Choice])
        /// Any subset of the choices' keys (possibly empty).
        case multipleChoice([Choice])
        /// A number in `minimum...maximum`, in `unit` ("kg", "cm", "times a week").
        case number(minimum: Double, maximum: Double, unit: String)
        /// Free text up to `maxCharacters`.
        case text(maxCharacters: Int)
    }

    /// One offered choice: a stable key and the label shown.
    public struct Choice: Hashable, Sendable {
        public let key: String
        public let label: String
        public init(key: String, label: String) {
            self.key = key
            self.label = label
        }
    }

    public let id: QuestionID
    public let text: String
    public let kind: Kind
    /// Whether submission needs an answer to it.
    public let required: Bool
    /// A safety question: changing its answer raises a flag for the prescriber.
    public let safetyCritical: Bool

    public init(id: QuestionID, text: String, kind: Kind, required: Bool, safetyCritical: Bool) {
        self.id = id
        self.text = text
        self.kind = kind
        self.required = required
        self.safetyCritical = safetyCritical
    }
}
