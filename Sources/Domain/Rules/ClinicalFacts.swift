/// What the clinical rules are evaluated over: the submitted answers and the facts the service
/// knows about the customer that the answers cannot tell.
public struct ClinicalFacts: Sendable, Hashable {
    /// The answers as submitted (the last answer to each question).
    public var answers: [QuestionID: AnswerValue]
    /// Questions whose answer the customer changed before submitting.
    public var changedQuestions: Set<QuestionID>
    /// The answers of this customer's recently refused consultations for the same treatment.
    public var earlierRefusals: [[QuestionID: AnswerValue]]
    /// Other customers with the same delivery address.
    public var customersSharingAddress: Int
    /// Other customers paying with the same card (by the gateway's fingerprint); 0 before checkout.
    public var customersSharingPaymentMethod: Int

    public init(answers: [QuestionID: AnswerValue], changedQuestions: Set<QuestionID> = [],
                earlierRefusals: [[QuestionID: AnswerValue]] = [], customersSharingAddress: Int = 0,
                customersSharingPaymentMethod: Int = 0) {
        self.answers = answers
        self.changedQuestions = changedQuestions
        self.earlierRefusals = earlierRefusals
        self.customersSharingAddress = customersSharingAddress
        self.customersSharingPaymentMethod = customersSharingPaymentMethod
    }
}
