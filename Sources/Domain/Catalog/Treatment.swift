/// A treatment area: what the customer browses and consults for.
public struct Treatment: Hashable, Sendable {
    public let id: TreatmentID
    public let name: String
    public let description: String
    /// High-risk categories (weight loss, asthma) need a verified identity before approval.
    public let requiresIdentityCheck: Bool
    /// Weight loss: an independent check of weight (video, GP records, in person) before approval.
    public let requiresWeightVerification: Bool
    /// Days an order may wait for ID or information before it is cancelled and its payment released:
    /// 14 for weight-loss injections, 7 for the rest.
    public let waitingLimitDays: Int
    public let questionnaire: Questionnaire
    public let medications: [Medication]

    public init(id: TreatmentID, name: String, description: String, requiresIdentityCheck: Bool,
                requiresWeightVerification: Bool, waitingLimitDays: Int, questionnaire: Questionnaire, medications: [Medication]) {
        self.id = id
        self.name = name
        self.description = description
        self.requiresIdentityCheck = requiresIdentityCheck
        self.requiresWeightVerification = requiresWeightVerification
        self.waitingLimitDays = waitingLimitDays
        self.questionnaire = questionnaire
        self.medications = medications
    }

    /// The pack with `id`, and its medication.
    public func product(_ id: ProductID) -> (medication: Medication, product: Product)? {
        for medication in medications {
            if let product = medication.products.first(where: { $0.id == id }) { return (medication, product) }
        }
        return nil
    }
}
