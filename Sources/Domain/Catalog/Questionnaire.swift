/// A treatment's questionnaire at one version. A consultation keeps the version it started with.
public struct Questionnaire: Hashable, Sendable {
    /// "erectile-dysfunction/3": bumped whenever a question is added, removed or reworded.
    public let version: String
    public let questions: [Question]

    public init(version: String, questions: [Question]) {
        self.version = version
        self.questions = questions
    }

    public func question(_ id: QuestionID) -> Question? { questions.first { $0.id == id } }
}
