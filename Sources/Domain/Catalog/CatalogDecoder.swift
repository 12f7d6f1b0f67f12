/// Reads and cross-checks the catalog's data files (format in Data/catalog/README.md). Every
/// failure names the file and the item.
enum CatalogDecoder {
    /// The catalog's index file, naming the others.
    static let indexFileName = "catalog.json"
    /// The data format this code reads; a file of another format is refused rather than misread.
    static let supportedFormat = 1
    /// The most data files, questions per questionnaire and choices per question accepted.
    static let maxFiles = 64
    static let maxQuestions = 40
    static let maxChoices = 20
    /// The longest free-text answer a question may allow, in characters.
    static let maxTextAnswerCharacters = 5_000
    /// The longest an order may wait for ID or information, in days.
    static let maxWaitingLimitDays = 30

    struct Contents {
        var version: String
        var treatments: [Treatment]
        var deliveryOptions: [DeliveryOption]
        var ruleSets: [TreatmentID: RuleSet]
    }

    static func decode(files: [(name: String, text: String)]) throws(CatalogError) -> Contents {
        guard files.count <= maxFiles else {
            throw CatalogError(file: "", message: "\(files.count) data files is more than the limit of \(maxFiles)")
        }
        var textByName: [String: String] = [:]
        for file in files {
            guard textByName[file.name] == nil else { throw CatalogError(file: file.name, message: "the file is given twice") }
            textByName[file.name] = file.text
        }
        guard let indexText = textByName[indexFileName] else {
            throw CatalogError(file: indexFileName, message: "missing: the catalog needs its index file")
        }

        let index = try reading(indexFileName) { () throws(JSONError) in try decodeIndex(JSONParser.parse(indexText)) }
        for name in textByName.keys.sorted() where name != indexFileName && !index.treatmentFiles.contains(name) {
            throw CatalogError(file: name, message: "not listed in \(indexFileName) 'treatment_files'")
        }

        var contents = Contents(version: index.version, treatments: [], deliveryOptions: index.deliveryOptions, ruleSets: [:])
        var seenMedications: [MedicationID: String] = [:]
        var seenProducts: [ProductID: String] = [:]
        var seenGTINs: [String: String] = [:]
        for name in index.treatmentFiles {
            guard let text = textByName[name] else {
                throw CatalogError(file: name, message: "missing: listed in \(indexFileName) 'treatment_files'")
            }
            let (treatment, rulesNode) = try reading(name) { () throws(JSONError) in try decodeTreatment(JSONParser.parse(text)) }
            guard contents.ruleSets[treatment.id] == nil else {
                throw CatalogError(file: name, message: "duplicate treatment id '\(treatment.id)'")
            }
            for (m, medication) in treatment.medications.enumerated() {
                if let other = seenMedications[medication.id] {
                    throw CatalogError(file: name, message: "medications[\(m)]: duplicate medication id '\(medication.id)' (also in \(other))")
                }
                seenMedications[medication.id] = name
                for (p, product) in medication.products.enumerated() {
                    let path = "medications[\(m)].products[\(p)]"
                    if let other = seenProducts[product.id] {
                        throw CatalogError(file: name, message: "\(path): duplicate product id '\(product.id)' (also in \(other))")
                    }
                    if let other = seenGTINs[product.gtin] {
                        throw CatalogError(file: name, message: "\(path).gtin: duplicate GTIN \(product.gtin) (also in \(other))")
                    }
                    seenProducts[product.id] = name
                    seenGTINs[product.gtin] = name
                }
            }
            let ruleSet: RuleSet
            do throws(RuleSetError) {
                ruleSet = try RuleSetDecoder.decode(rulesNode, treatmentID: treatment.id, questionnaire: treatment.questionnaire,
                                                    medicationIDs: treatment.medications.map(\.id))
            } catch {
                throw CatalogError(file: name, message: error.message)
            }
            contents.treatments.append(treatment)
            contents.ruleSets[treatment.id] = ruleSet
        }
        return contents
    }

    /// Runs `body`, turning its JSON errors into errors naming `file`.
    private static func reading<T>(_ file: String, _ body: () throws(JSONError) -> T) throws(CatalogError) -> T {
        do throws(JSONError) {
            return try body()
        } catch {
            throw CatalogError(file: file, message: error.description)
        }
    }

    // MARK: catalog.json

    private struct Index {
        var version: String
        var treatmentFiles: [String]
        var deliveryOptions: [DeliveryOption]
    }

    private static func decodeIndex(_ value: JSONValue) throws(JSONError) -> Index {
        let root = try JSONNode(value).object()
        try root.allowOnly(["format", "version", "treatment_files", "delivery_options"])
        try checkFormat(root)
        let version = try root.required("version").nonEmptyString()
        let filesNode = try root.required("treatment_files")
        var files: [String] = []
        for node in try filesNode.array() {
            let file = try node.nonEmptyString()
            guard file != indexFileName, !files.contains(file) else { throw node.error("'\(file)' is listed twice") }
            files.append(file)
        }
        guard !files.isEmpty else { throw filesNode.error("expected at least one treatment file") }
        let optionsNode = try root.required("delivery_options")
        var options: [DeliveryOption] = []
        for node in try optionsNode.array() {
            let option = try decodeDeliveryOption(node)
            guard !options.contains(where: { $0.id == option.id }) else {
                throw node.error("duplicate delivery option id '\(option.id)'")
            }
            options.append(option)
        }
        guard !options.isEmpty else { throw optionsNode.error("expected at least one delivery option") }
        return Index(version: version, treatmentFiles: files, deliveryOptions: options)
    }

    private static func checkFormat(_ root: JSONObjectNode) throws(JSONError) {
        let node = try root.required("format")
        let format = try node.int()
        guard format == supportedFormat else { throw node.error("format \(format) is not supported (expected \(supportedFormat))") }
    }

    private static func decodeDeliveryOption(_ node: JSONNode) throws(JSONError) -> DeliveryOption {
        let object = try node.object()
        try object.allowOnly(["id", "name", "price_pence", "working_days_to_deliver", "guaranteed_next_day",
                              "signature_required", "courier_service_code"])
        let id = try object.required("id").nonEmptyString()
        let days = try object.required("working_days_to_deliver")
        let workingDays = try days.int()
        guard (1...10).contains(workingDays) else { throw days.error("expected 1 to 10 working days") }
        return DeliveryOption(id: DeliveryOptionID(id), name: try object.required("name").nonEmptyString(),
                              priceInPence: try price(object.required("price_pence")), workingDaysToDeliver: workingDays,
                              guaranteedNextDay: try object.required("guaranteed_next_day").bool(),
                              signatureRequired: try object.required("signature_required").bool(),
                              courierServiceCode: try object.required("courier_service_code").nonEmptyString())
    }

    private static func price(_ node: JSONNode) throws(JSONError) -> Pence {
        let pence = try node.int64()
        guard pence >= 0 else { throw node.error("must not be negative") }
        return Pence(pence)
    }

    // MARK: treatment files

    private static func decodeTreatment(_ value: JSONValue) throws(JSONError) -> (Treatment, JSONNode) {
        let root = try JSONNode(value).object()
        try root.allowOnly(["id", "name", "description", "requires_identity_check", "requires_weight_verification",
                            "waiting_limit_days", "questionnaire", "medications", "rules"])
        let id = try root.required("id").nonEmptyString()
        let waitingNode = try root.required("waiting_limit_days")
        let waitingDays = try waitingNode.int()
        guard (1...maxWaitingLimitDays).contains(waitingDays) else {
            throw waitingNode.error("expected 1 to \(maxWaitingLimitDays) days")
        }
        let medicationsNode = try root.required("medications")
        var medications: [Medication] = []
        for node in try medicationsNode.array() {
            let medication = try decodeMedication(node)
            guard !medications.contains(where: { $0.id == medication.id }) else {
                throw node.error("duplicate medication id '\(medication.id)'")
            }
            medications.append(medication)
        }
        guard !medications.isEmpty else { throw medicationsNode.error("expected at least one medication") }
        let treatment = Treatment(
            id: TreatmentID(id), name: try root.required("name").nonEmptyString(),
            description: try root.required("description").nonEmptyString(),
            requiresIdentityCheck: try root.required("requires_identity_check").bool(),
            requiresWeightVerification: try root.required("requires_weight_verification").bool(),
            waitingLimitDays: waitingDays, questionnaire: try decodeQuestionnaire(root.required("questionnaire")),
            medications: medications)
        return (treatment, try root.required("rules"))
    }

    private static func decodeQuestionnaire(_ node: JSONNode) throws(JSONError) -> Questionnaire {
        let object = try node.object()
        try object.allowOnly(["version", "questions"])
        let version = try object.required("version").nonEmptyString()
        let questionsNode = try object.required("questions")
        let questionNodes = try questionsNode.array()
        guard (1...maxQuestions).contains(questionNodes.count) else {
            throw questionsNode.error("expected 1 to \(maxQuestions) questions")
        }
        var questions: [Question] = []
        for questionNode in questionNodes {
            let question = try decodeQuestion(questionNode)
            guard !questions.contains(where: { $0.id == question.id }) else {
                throw questionNode.error("duplicate question id '\(question.id)'")
            }
            questions.append(question)
        }
        // Every treatment asks for consent to write to the GP and for the practice, so the GP
        // notification letter can be sent when the customer agrees.
        let questionnaire = Questionnaire(version: version, questions: questions)
        guard case .yesNo? = questionnaire.question(QuestionID("gp_consent"))?.kind else {
            throw questionsNode.error("expected a yes/no question 'gp_consent'")
        }
        guard case .text? = questionnaire.question(QuestionID("gp_practice"))?.kind else {
            throw questionsNode.error("expected a text question 'gp_practice'")
        }
        return questionnaire
    }

    private static func decodeQuestion(_ node: JSONNode) throws(JSONError) -> Question {
        let object = try node.object()
        let id = try object.required("id").nonEmptyString()
        guard isSnakeCase(id) else { throw object.error("question id '\(id)' is not snake_case") }
        let common: Set<String> = ["id", "text", "kind", "required", "safety_critical"]
        let kindNode = try object.required("kind")
        let kind: Question.Kind
        switch try kindNode.string() {
        case "yes_no":
            try object.allowOnly(common)
            kind = .yesNo
        case "single_choice":
            try object.allowOnly(common.union(["choices"]))
            kind = .singleChoice(try decodeChoices(object.required("choices")))
        case "multiple_choice":
            try object.allowOnly(common.union(["choices"]))
            kind = .multipleChoice(try decodeChoices(object.required("choices")))
        case "number":
            try object.allowOnly(common.union(["minimum", "maximum", "unit"]))
            let minimum = try object.required("minimum").double()
            let maximumNode = try object.required("maximum")
            let maximum = try maximumNode.double()
            guard minimum <= maximum else { throw maximumNode.error("must not be less than 'minimum'") }
            kind = .number(minimum: minimum, maximum: maximum, unit: try object.required("unit").nonEmptyString())
        case "text":
            try object.allowOnly(common.union(["max_characters"]))
            let maxNode = try object.required("max_characters")
            let maxCharacters = try maxNode.int()
            guard (1...maxTextAnswerCharacters).contains(maxCharacters) else {
                throw maxNode.error("expected 1 to \(maxTextAnswerCharacters)")
            }
            kind = .text(maxCharacters: maxCharacters)
        case let other:
            throw kindNode.error("unknown question kind '\(other)' (known: yes_no, single_choice, multiple_choice, number, text)")
        }
        return Question(id: QuestionID(id), text: try object.required("text").nonEmptyString(), kind: kind,
                        required: try object.required("required").bool(),
                        safetyCritical: try object.required("safety_critical").bool())
    }

    private static func decodeChoices(_ node: JSONNode) throws(JSONError) -> [Question.Choice] {
        let nodes = try node.array()
        guard (1...maxChoices).contains(nodes.count) else { throw node.error("expected 1 to \(maxChoices) choices") }
        var choices: [Question.Choice] = []
        for choiceNode in nodes {
            let object = try choiceNode.object()
            try object.allowOnly(["key", "label"])
            let key = try object.required("key").nonEmptyString()
            guard isSnakeCase(key) else { throw object.error("choice key '\(key)' is not snake_case") }
            guard !choices.contains(where: { $0.key == key }) else { throw object.error("duplicate choice key '\(key)'") }
            choices.append(Question.Choice(key: key, label: try object.required("label").nonEmptyString()))
        }
        return choices
    }

    private static func decodeMedication(_ node: JSONNode) throws(JSONError) -> Medication {
        let object = try node.object()
        try object.allowOnly(["id", "name", "form", "directions", "products"])
        let id = MedicationID(try object.required("id").nonEmptyString())
        let productsNode = try object.required("products")
        var products: [Product] = []
        for productNode in try productsNode.array() {
            let product = try decodeProduct(productNode, medication: id)
            guard !products.contains(where: { $0.id == product.id }) else {
                throw productNode.error("duplicate product id '\(product.id)'")
            }
            products.append(product)
        }
        guard !products.isEmpty else { throw productsNode.error("expected at least one product") }
        return Medication(id: id, name: try object.required("name").nonEmptyString(),
                          form: try object.required("form").nonEmptyString(),
                          directions: try object.required("directions").nonEmptyString(), products: products)
    }

    private static func decodeProduct(_ node: JSONNode, medication: MedicationID) throws(JSONError) -> Product {
        let object = try node.object()
        try object.allowOnly(["id", "strength", "quantity", "pack_description", "price_pence", "gtin", "refrigerated"])
        let quantityNode = try object.required("quantity")
        let quantity = try quantityNode.int()
        guard quantity >= 1 else { throw quantityNode.error("must be at least 1") }
        let gtinNode = try object.required("gtin")
        let gtin = try gtinNode.string()
        guard GTIN.isValid(gtin) else {
            throw gtinNode.error("'\(gtin)' is not a GTIN-13 or GTIN-14 with a valid GS1 check digit")
        }
        return Product(id: ProductID(try object.required("id").nonEmptyString()), medicationID: medication,
                       strength: try object.required("strength").nonEmptyString(), quantity: quantity,
                       packDescription: try object.required("pack_description").nonEmptyString(),
                       priceInPence: try price(object.required("price_pence")), gtin: gtin,
                       refrigerated: try object.required("refrigerated").bool())
    }
}
