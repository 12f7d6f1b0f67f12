/// A fact a rule may test besides the answers, by the name the data files use.
public enum ClinicalFact: String, Hashable, Sendable, CaseIterable {
    /// The safety-critical questions whose answer changed during the consultation (a count in
    /// conditions, the question ids in messages).
    case changedSafetyQuestions = "changed_safety_questions"
    /// The safety-critical questions answered differently in a recently refused consultation for the
    /// same treatment (a count in conditions, the question ids in messages). A question counts only
    /// when both consultations answered it, so a question added in a later questionnaire version does not.
    case refusedConsultationDifferences = "refused_consultation_differences"
    /// Other customers with the same delivery address.
    case customersSharingAddress = "customers_sharing_address"
    /// Other customers with the same payment card.
    case customersSharingPaymentMethod = "customers_sharing_payment_method"
}
