/// A treatment's clinical rules at one version: derived values, then a decision table evaluated in
/// order by one interpreter. Loaded from the treatment's data file and validated against its
/// questionnaire and medications, so every question, choice and medication a rule names exists.
public struct RuleSet: Sendable, Hashable {
    public let treatmentID: TreatmentID
    /// The rules' own version ("1"), bumped whenever a rule changes; recorded with each assessment.
    public let version: String
    /// Computed before the rules, in order.
    public let derivedValues: [DerivedValue]
    public let rules: [Rule]
    /// Every flag code the rules may raise, with its meaning, as documented in the data.
    public let flagDescriptions: [String: String]
    /// The questionnaire's safety-critical questions, in its order.
    public let safetyQuestions: [QuestionID]

    /// The most rules a rule set may hold.
    public static let maxRules = 200

    public init(treatmentID: TreatmentID, version: String, derivedValues: [DerivedValue], rules: [Rule],
                flagDescriptions: [String: String], safetyQuestions: [QuestionID]) {
        precondition(rules.count <= RuleSet.maxRules, "a rule set holds at most \(RuleSet.maxRules) rules")
        self.treatmentID = treatmentID
        self.version = version
        self.derivedValues = derivedValues
        self.rules = rules
        self.flagDescriptions = flagDescriptions
        self.safetyQuestions = safetyQuestions
    }

    /// Runs every rule over `facts` and returns which of `medications` remain, which were excluded
    /// and why, and the flags raised. Advice for the prescriber: it never approves or rejects.
    public func evaluate(_ facts: ClinicalFacts, medications: [Medication]) -> ClinicalAssessment {
        var context = Context(facts: facts, safetyQuestions: safetyQuestions)
        for derived in derivedValues {
            if let value = derived.compute(facts.answers) { context.derived[derived.name] = value }
        }
        let offerable = Set(medications.map(\.id))
        var exclusions: [Exclusion] = []
        var flags: [ClinicalFlag] = []
        for rule in rules where context.holds(rule.condition) {
            for action in rule.actions {
                switch action {
                case let .exclude(excluded, reason):
                    for medication in excluded where offerable.contains(medication) {
                        exclusions.append(Exclusion(medication: medication, ruleID: rule.id, reason: reason))
                    }
                case let .flag(code, message):
                    flags.append(ClinicalFlag(code: code, ruleID: rule.id, message: context.render(message)))
                }
            }
        }
        let excluded = Set(exclusions.map(\.medication))
        return ClinicalAssessment(ruleSetVersion: version,
                                  offeredMedications: medications.map(\.id).filter { !excluded.contains($0) },
                                  exclusions: exclusions, flags: flags, derivedValues: context.derived)
    }
}

/// The values one evaluation reads.
private struct Context {
    let answers: [QuestionID: AnswerValue]
    var derived: [String: Double] = [:]
    let changedSafetyQuestions: [QuestionID]
    let refusedConsultationDifferences: [QuestionID]
    let customersSharingAddress: Int
    let customersSharingPaymentMethod: Int

    init(facts: ClinicalFacts, safetyQuestions: [QuestionID]) {
        answers = facts.answers
        changedSafetyQuestions = safetyQuestions.filter { facts.changedQuestions.contains($0) }
        refusedConsultationDifferences = safetyQuestions.filter { question in
            guard let current = facts.answers[question] else { return false }
            return facts.earlierRefusals.contains { refusal in
                guard let earlier = refusal[question] else { return false }
                return earlier != current
            }
        }
        customersSharingAddress = facts.customersSharingAddress
        customersSharingPaymentMethod = facts.customersSharingPaymentMethod
    }

    func holds(_ condition: RuleCondition) -> Bool {
        switch condition {
        case let .equals(question, expected):
            switch (answers[question], expected) {
            case let (.yesNo(answer)?, .yesNo(value)): return answer == value
            case let (.choice(answer)?, .choice(value)): return answer == value
            case let (.number(answer)?, .number(value)): return answer == value
            default: return false
            }
        case let .includes(question, choice):
            guard case let .choices(keys)? = answers[question] else { return false }
            return keys.contains(choice)
        case let .anyOf(question, choices):
            switch answers[question] {
            case let .choice(key)?: return choices.contains(key)
            case let .choices(keys)?: return keys.contains { choices.contains($0) }
            default: return false
            }
        case let .answered(question):
            return answers[question] != nil
        case let .compare(operand, comparison, value):
            guard let left = number(operand) else { return false }
            return comparison.holds(left, value)
        case let .all(conditions):
            return conditions.allSatisfy(holds)
        case let .any(conditions):
            return conditions.contains(where: holds)
        case let .not(inner):
            return !holds(inner)
        }
    }

    func number(_ operand: RuleOperand) -> Double? {
        switch operand {
        case let .answer(question):
            guard case let .number(value)? = answers[question] else { return nil }
            return value
        case let .derived(name):
            return derived[name]
        case let .fact(fact):
            switch fact {
            case .changedSafetyQuestions: return Double(changedSafetyQuestions.count)
            case .refusedConsultationDifferences: return Double(refusedConsultationDifferences.count)
            case .customersSharingAddress: return Double(customersSharingAddress)
            case .customersSharingPaymentMethod: return Double(customersSharingPaymentMethod)
            }
        }
    }

    func render(_ message: RuleMessage) -> String {
        var text = ""
        for segment in message.segments {
            switch segment {
            case let .text(literal): text += literal
            case let .derived(name): text += derived[name].map(oneDecimalPlace) ?? "unknown"
            case let .fact(fact):
                switch fact {
                case .changedSafetyQuestions: text += changedSafetyQuestions.map(\.rawValue).joined(separator: ", ")
                case .refusedConsultationDifferences: text += refusedConsultationDifferences.map(\.rawValue).joined(separator: ", ")
                case .customersSharingAddress: text += String(customersSharingAddress)
                case .customersSharingPaymentMethod: text += String(customersSharingPaymentMethod)
                }
            }
        }
        return text
    }

    /// "26.9", "-0.5": the stdlib has no fixed-point formatting without Foundation.
    func oneDecimalPlace(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded(.toNearestOrAwayFromZero))
        let magnitude = tenths.magnitude
        return "\(tenths < 0 ? "-" : "")\(magnitude / 10).\(magnitude % 10)"
    }
}
