/// Why a rule set in a data file is invalid: the message names the treatment, the rule set's version
/// and the rule ("weight-loss rules v3, rule 'bmi_under_27': unknown question 'weight'").
struct RuleSetError: Error, Sendable {
    let message: String
}

/// Reads a treatment's `rules` object (see Data/catalog/README.md) and checks it against the
/// treatment's questionnaire and medications.
struct RuleSetDecoder {
    let treatmentID: TreatmentID
    let questionnaire: Questionnaire
    let medicationIDs: [MedicationID]
    private var version = ""
    private var derivedNames: Set<String> = []
    private var flagCodes: Set<String> = []

    init(treatmentID: TreatmentID, questionnaire: Questionnaire, medicationIDs: [MedicationID]) {
        self.treatmentID = treatmentID
        self.questionnaire = questionnaire
        self.medicationIDs = medicationIDs
    }

    static func decode(_ node: JSONNode, treatmentID: TreatmentID, questionnaire: Questionnaire,
                       medicationIDs: [MedicationID]) throws(RuleSetError) -> RuleSet {
        var decoder = RuleSetDecoder(treatmentID: treatmentID, questionnaire: questionnaire, medicationIDs: medicationIDs)
        return try decoder.decode(node)
    }

    private var prefix: String { version.isEmpty ? "\(treatmentID) rules" : "\(treatmentID) rules v\(version)" }

    private func failure(_ error: JSONError, rule: String? = nil) -> RuleSetError {
        let located: String
        if case let .unexpected(path, message) = error {
            located = path.isEmpty ? message : "\(message) (at \(path))"
        } else {
            located = error.description
        }
        return RuleSetError(message: "\(prefix)\(rule.map { ", rule '\($0)'" } ?? ""): \(located)")
    }

    private mutating func decode(_ node: JSONNode) throws(RuleSetError) -> RuleSet {
        let derived: [DerivedValue]
        var flagDescriptions: [String: String] = [:]
        let ruleNodes: [JSONNode]
        do throws(JSONError) {
            let object = try node.object()
            try object.allowOnly(["version", "flags", "derived", "rules"])
            version = try object.required("version").nonEmptyString()
            let flags = try object.required("flags").object()
            for member in flags.object.members {
                let description = try JSONNode(member.value, path: "\(flags.path).\(member.key)").nonEmptyString()
                guard isSnakeCase(member.key) else { throw flags.error("flag code '\(member.key)' is not snake_case") }
                flagDescriptions[member.key] = description
            }
            flagCodes = Set(flagDescriptions.keys)
            derived = try object.required("derived").array().map { (node) throws(JSONError) in try decodeDerived(node) }
            ruleNodes = try object.required("rules").array()
            guard ruleNodes.count <= RuleSet.maxRules else {
                throw object.error("\(ruleNodes.count) rules is more than the limit of \(RuleSet.maxRules)")
            }
        } catch {
            throw failure(error)
        }

        var rules: [Rule] = []
        var raisedCodes: Set<String> = []
        for ruleNode in ruleNodes {
            var ruleID: String?
            do throws(JSONError) {
                let object = try ruleNode.object()
                let id = try object.required("id").nonEmptyString()
                ruleID = id
                guard isSnakeCase(id) else { throw object.error("rule id '\(id)' is not snake_case") }
                guard !rules.contains(where: { $0.id == id }) else { throw object.error("duplicate rule id") }
                try object.allowOnly(["id", "when", "then"])
                let condition = try decodeCondition(object.required("when"))
                let actionNodes = try object.required("then").array()
                guard !actionNodes.isEmpty else { throw object.error("a rule needs at least one action in 'then'") }
                var actions: [RuleAction] = []
                for actionNode in actionNodes {
                    let action = try decodeAction(actionNode)
                    if case let .flag(code, _) = action { raisedCodes.insert(code) }
                    actions.append(action)
                }
                rules.append(Rule(id: id, condition: condition, actions: actions))
            } catch {
                throw failure(error, rule: ruleID)
            }
        }
        if let unused = flagCodes.subtracting(raisedCodes).sorted().first {
            throw RuleSetError(message: "\(prefix): flag '\(unused)' is declared but no rule raises it")
        }
        return RuleSet(treatmentID: treatmentID, version: version, derivedValues: derived, rules: rules,
                       flagDescriptions: flagDescriptions,
                       safetyQuestions: questionnaire.questions.filter(\.safetyCritical).map(\.id))
    }

    private mutating func decodeDerived(_ node: JSONNode) throws(JSONError) -> DerivedValue {
        let object = try node.object()
        let name = try object.required("name").nonEmptyString()
        guard isSnakeCase(name) else { throw object.error("derived value name '\(name)' is not snake_case") }
        guard !derivedNames.contains(name) else { throw object.error("duplicate derived value '\(name)'") }
        guard ClinicalFact(rawValue: name) == nil else { throw object.error("derived value '\(name)' has the name of a clinical fact") }
        let formulaNode = try object.required("formula")
        switch try formulaNode.string() {
        case "bmi":
            try object.allowOnly(["name", "formula", "weight_kg", "height_cm"])
            let weight = try numberQuestion(object.required("weight_kg"), unit: "kg")
            let height = try numberQuestion(object.required("height_cm"), unit: "cm")
            derivedNames.insert(name)
            return DerivedValue(name: name, formula: .bmi(weightKilograms: weight, heightCentimetres: height))
        case let other:
            throw formulaNode.error("unknown formula '\(other)' (known: bmi)")
        }
    }

    private func numberQuestion(_ node: JSONNode, unit: String) throws(JSONError) -> QuestionID {
        let (id, question) = try question(node)
        guard case let .number(_, _, questionUnit) = question.kind, questionUnit == unit else {
            throw node.error("question '\(id)' is not a number question in \(unit)")
        }
        return id
    }

    private func question(_ node: JSONNode) throws(JSONError) -> (QuestionID, Question) {
        let id = QuestionID(try node.nonEmptyString())
        guard let question = questionnaire.question(id) else { throw node.error("unknown question '\(id)'") }
        return (id, question)
    }

    private func decodeCondition(_ node: JSONNode) throws(JSONError) -> RuleCondition {
        let object = try node.object()
        guard object.object.count == 1, let member = object.object.members.first else {
            throw object.error("a condition is an object with exactly one operator")
        }
        let operand = JSONNode(member.value, path: object.path.isEmpty ? member.key : "\(object.path).\(member.key)")
        switch member.key {
        case "equals":
            let fields = try operand.object()
            try fields.allowOnly(["question", "value"])
            let questionNode = try fields.required("question")
            let (id, question) = try self.question(questionNode)
            let valueNode = try fields.required("value")
            switch question.kind {
            case .yesNo:
                return .equals(id, .yesNo(try valueNode.bool()))
            case let .singleChoice(choices):
                let key = try valueNode.string()
                try requireChoices([key], of: choices, question: id, at: valueNode)
                return .equals(id, .choice(key))
            case .number:
                return .equals(id, .number(try valueNode.double()))
            case .multipleChoice:
                throw questionNode.error("'equals' cannot test the multiple-choice question '\(id)'; use 'includes' or 'any_of'")
            case .text:
                throw questionNode.error("'equals' cannot test the free-text question '\(id)'")
            }
        case "includes":
            let fields = try operand.object()
            try fields.allowOnly(["question", "choice"])
            let questionNode = try fields.required("question")
            let (id, question) = try self.question(questionNode)
            guard case let .multipleChoice(choices) = question.kind else {
                throw questionNode.error("'includes' needs a multiple-choice question, and '\(id)' is not one")
            }
            let choiceNode = try fields.required("choice")
            let key = try choiceNode.string()
            try requireChoices([key], of: choices, question: id, at: choiceNode)
            return .includes(id, choice: key)
        case "any_of":
            let fields = try operand.object()
            try fields.allowOnly(["question", "choices"])
            let questionNode = try fields.required("question")
            let (id, question) = try self.question(questionNode)
            let choices: [Question.Choice]
            switch question.kind {
            case let .singleChoice(offered), let .multipleChoice(offered): choices = offered
            default: throw questionNode.error("'any_of' needs a choice question, and '\(id)' is not one")
            }
            let keysNode = try fields.required("choices")
            let keys = try keysNode.array().map { (node) throws(JSONError) in try node.string() }
            guard !keys.isEmpty else { throw keysNode.error("expected at least one choice") }
            try requireChoices(keys, of: choices, question: id, at: keysNode)
            return .anyOf(id, choices: keys)
        case "answered":
            return .answered(try question(operand).0)
        case "all", "any":
            let elements = try operand.array()
            guard !elements.isEmpty else { throw operand.error("expected at least one condition") }
            var conditions: [RuleCondition] = []
            for element in elements { conditions.append(try decodeCondition(element)) }
            return member.key == "all" ? .all(conditions) : .any(conditions)
        case "not":
            return .not(try decodeCondition(operand))
        default:
            if let comparison = RuleComparison(rawValue: member.key) {
                return try decodeComparison(comparison, operand)
            }
            throw object.error("unknown condition '\(member.key)'")
        }
    }

    private func decodeComparison(_ comparison: RuleComparison, _ node: JSONNode) throws(JSONError) -> RuleCondition {
        let fields = try node.object()
        try fields.allowOnly(["question", "derived", "fact", "value"])
        let value = try fields.required("value").double()
        let sources = ["question", "derived", "fact"].filter { fields.object[$0] != nil }
        guard sources.count == 1 else { throw fields.error("expected exactly one of 'question', 'derived' or 'fact'") }
        let sourceNode = try fields.required(sources[0])
        switch sources[0] {
        case "question":
            let (id, question) = try self.question(sourceNode)
            guard case .number = question.kind else { throw sourceNode.error("question '\(id)' is not a number question") }
            return .compare(.answer(id), comparison, value)
        case "derived":
            let name = try sourceNode.string()
            guard derivedNames.contains(name) else { throw sourceNode.error("unknown derived value '\(name)'") }
            return .compare(.derived(name), comparison, value)
        default:
            let name = try sourceNode.string()
            guard let fact = ClinicalFact(rawValue: name) else { throw sourceNode.error("unknown fact '\(name)'") }
            return .compare(.fact(fact), comparison, value)
        }
    }

    private func requireChoices(_ keys: [String], of choices: [Question.Choice], question: QuestionID,
                                at node: JSONNode) throws(JSONError) {
        for key in keys where !choices.contains(where: { $0.key == key }) {
            throw node.error("question '\(question)' has no choice '\(key)'")
        }
    }

    private func decodeAction(_ node: JSONNode) throws(JSONError) -> RuleAction {
        let object = try node.object()
        if object.object["exclude"] != nil {
            try object.allowOnly(["exclude", "reason"])
            let listNode = try object.required("exclude")
            let medications = try listNode.array().map { (node) throws(JSONError) in MedicationID(try node.string()) }
            guard !medications.isEmpty else { throw listNode.error("expected at least one medication") }
            for medication in medications where !medicationIDs.contains(medication) {
                throw listNode.error("unknown medication '\(medication)'")
            }
            return .exclude(medications, reason: try object.required("reason").nonEmptyString())
        }
        if object.object["flag"] != nil {
            try object.allowOnly(["flag", "message"])
            let codeNode = try object.required("flag")
            let code = try codeNode.string()
            guard flagCodes.contains(code) else { throw codeNode.error("flag '\(code)' is not declared in 'flags'") }
            let messageNode = try object.required("message")
            return .flag(code: code, message: try decodeMessage(messageNode))
        }
        let kind = object.object.keys.first ?? "(none)"
        throw object.error("unknown action '\(kind)' (a rule may only 'exclude' or 'flag')")
    }

    private func decodeMessage(_ node: JSONNode) throws(JSONError) -> RuleMessage {
        let text = try node.nonEmptyString()
        var segments: [RuleMessage.Segment] = []
        var literal = ""
        var placeholder: String?
        for character in text {
            switch (character, placeholder) {
            case ("{", nil):
                if !literal.isEmpty { segments.append(.text(literal)) }
                literal = ""
                placeholder = ""
            case ("}", let name?):
                if derivedNames.contains(name) {
                    segments.append(.derived(name))
                } else if let fact = ClinicalFact(rawValue: name) {
                    segments.append(.fact(fact))
                } else {
                    throw node.error("unknown placeholder '{\(name)}'")
                }
                placeholder = nil
            case ("{", _?), ("}", nil):
                throw node.error("unbalanced '\(character)' in the message")
            case (_, let name?):
                placeholder = name + String(character)
            case (_, nil):
                literal.append(character)
            }
        }
        guard placeholder == nil else { throw node.error("unbalanced '{' in the message") }
        if !literal.isEmpty { segments.append(.text(literal)) }
        return RuleMessage(segments: segments)
    }
}

/// Ids and codes in the data are lower-case snake_case ("bmi_under_27").
func isSnakeCase(_ text: String) -> Bool {
    !text.isEmpty && text.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
}
