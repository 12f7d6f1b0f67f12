import Domain
import Generated

/// The catalog's domain values as `medexpress.v1` messages.
enum CatalogMessages {
    static func money(_ amount: Pence) -> Medexpress_V1_Money {
        var money = Medexpress_V1_Money()
        money.minorUnits = amount.value
        money.currency = "GBP"
        return money
    }

    static func summary(_ treatment: Domain.Treatment) -> Medexpress_V1_TreatmentSummary {
        var summary = Medexpress_V1_TreatmentSummary()
        summary.id = treatment.id.rawValue
        summary.name = treatment.name
        summary.description = treatment.description
        summary.requiresIdentityCheck = treatment.requiresIdentityCheck
        return summary
    }

    static func treatment(_ treatment: Domain.Treatment, catalogVersion: String) -> Medexpress_V1_Treatment {
        var message = Medexpress_V1_Treatment()
        message.id = treatment.id.rawValue
        message.name = treatment.name
        message.description = treatment.description
        message.requiresIdentityCheck = treatment.requiresIdentityCheck
        message.requiresWeightVerification = treatment.requiresWeightVerification
        var questionnaire = Medexpress_V1_Questionnaire()
        questionnaire.version = treatment.questionnaire.version
        questionnaire.questions = treatment.questionnaire.questions.map(question)
        message.questionnaire = questionnaire
        message.medications = treatment.medications.map(medication)
        message.catalogVersion = catalogVersion
        return message
    }

    static func question(_ question: Domain.Question) -> Medexpress_V1_Question {
        var message = Medexpress_V1_Question()
        message.id = question.id.rawValue
        message.text = question.text
        message.required = question.required
        message.safetyCritical = question.safetyCritical
        func choices(_ choices: [Domain.Question.Choice]) -> [Medexpress_V1_Choice] {
            choices.map { choice in
                var message = Medexpress_V1_Choice()
                message.key = choice.key
                message.label = choice.label
                return message
            }
        }
        switch question.kind {
        case .yesNo:
            message.kind = .yesNo
        case .singleChoice(let options):
            message.kind = .singleChoice
            message.choices = choices(options)
        case .multipleChoice(let options):
            message.kind = .multipleChoice
            message.choices = choices(options)
        case .number(let minimum, let maximum, let unit):
            message.kind = .number
            message.minimum = minimum
            message.maximum = maximum
            message.unit = unit
        case .text(let maxCharacters):
            message.kind = .text
            message.maxCharacters = Int32(maxCharacters)
        }
        return message
    }

    static func medication(_ medication: Domain.Medication) -> Medexpress_V1_Medication {
        var message = Medexpress_V1_Medication()
        message.id = medication.id.rawValue
        message.name = medication.name
        message.form = medication.form
        message.products = medication.products.map(product)
        return message
    }

    static func product(_ product: Domain.Product) -> Medexpress_V1_Product {
        var message = Medexpress_V1_Product()
        message.id = product.id.rawValue
        message.medicationId = product.medicationID.rawValue
        message.strength = product.strength
        message.quantity = Int32(product.quantity)
        message.packDescription = product.packDescription
        message.price = money(product.priceInPence)
        message.gtin = product.gtin
        message.refrigerated = product.refrigerated
        return message
    }

    static func deliveryOption(_ option: Domain.DeliveryOption) -> Medexpress_V1_DeliveryOption {
        var message = Medexpress_V1_DeliveryOption()
        message.id = option.id.rawValue
        message.name = option.name
        message.price = money(option.priceInPence)
        message.workingDaysToDeliver = Int32(option.workingDaysToDeliver)
        message.guaranteedNextDay = option.guaranteedNextDay
        message.signatureRequired = option.signatureRequired
        message.carriesRefrigerated = option.carriesRefrigerated
        return message
    }
}
