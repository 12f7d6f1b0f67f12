import Generated
import RPCCore
import XCTest

/// A signed-in customer of a test deployment.
struct TestCustomer {
    let id: String
    let metadata: Metadata
}

/// The steps of the customer journey as a test takes them, over gRPC.
extension TestDeployment {
    func signUp(_ email: String, address: Medexpress_V1_PostalAddress? = nil) async throws -> TestCustomer {
        var registration = TestDeployment.registration(email)
        if let address { registration.address = address }
        let registered = try await auth.registerCustomer(registration)
        let session = try await auth.login(TestDeployment.login(email))
        return TestCustomer(id: registered.customerId, metadata: TestDeployment.bearer(session.accessToken))
    }

    /// Starts a consultation for `treatment` and answers every question: `answers` where given,
    /// otherwise a harmless answer (no to every yes/no, the first choice, "none" where offered, a
    /// number in range, a short text). Submits unless told not to.
    func consult(_ customer: TestCustomer, _ treatment: String, answers: [String: Medexpress_V1_Answer] = [:],
                 submit: Bool = true) async throws -> Medexpress_V1_Consultation {
        let questionnaire = try await catalog.getTreatment(.with { $0.treatmentId = treatment }).questionnaire ?? .init()
        let started = try await consultations.startConsultation(.with {
            $0.requestId = Self.requestID()
            $0.treatmentId = treatment
        }, metadata: customer.metadata)
        for question in questionnaire.questions {
            try await answer(customer, started.id, question.id, answers[question.id] ?? Self.harmlessAnswer(question))
        }
        guard submit else { return try await consultations.getConsultation(.with { $0.consultationId = started.id }, metadata: customer.metadata) }
        return try await consultations.submitConsultation(.with {
            $0.requestId = Self.requestID()
            $0.consultationId = started.id
        }, metadata: customer.metadata)
    }

    @discardableResult
    func answer(_ customer: TestCustomer, _ consultation: String, _ question: String, _ answer: Medexpress_V1_Answer,
                requestID: String = TestDeployment.requestID()) async throws -> Medexpress_V1_RecordAnswerResponse {
        try await consultations.recordAnswer(.with {
            $0.requestId = requestID
            $0.consultationId = consultation
            $0.questionId = question
            $0.answer = answer
        }, metadata: customer.metadata)
    }

    func checkout(_ customer: TestCustomer, _ consultation: String, product: String, delivery: String = "royal-mail-1st-class",
                  discountCode: String = "", card: String = "pm_card_visa",
                  requestID: String = TestDeployment.requestID()) async throws -> Medexpress_V1_Order {
        try await orders.checkout(.with {
            $0.requestId = requestID
            $0.consultationId = consultation
            $0.productId = product
            $0.deliveryOptionId = delivery
            $0.discountCode = discountCode
            $0.paymentMethodToken = card
        }, metadata: customer.metadata)
    }

    static func requestID() -> String { "req-\(UInt64.random(in: 0...UInt64.max))" }

    static func harmlessAnswer(_ question: Medexpress_V1_Question) -> Medexpress_V1_Answer {
        switch question.kind {
        case .yesNo: return .yesNo(question.id == "gp_consent" || question.id == "diagnosed_by_clinician")
        case .singleChoice: return .choice(question.choices.first?.key ?? "")
        case .multipleChoice: return .choices(question.choices.contains { $0.key == "none" } ? ["none"] : [])
        case .number: return .number(question.unit == "cm" ? 175 : question.unit == "kg" ? 100 : question.minimum)
        default: return .text(question.id == "gp_practice" ? "Example Surgery, 1 High Street, Leeds LS1 1AA" : "none")
        }
    }
}

extension Medexpress_V1_Answer {
    static func yesNo(_ value: Bool) -> Self { .with { $0.value = .yesNo(value) } }
    static func choice(_ key: String) -> Self { .with { $0.value = .choice(key) } }
    static func choices(_ keys: [String]) -> Self { .with { $0.value = .choices(.with { $0.keys = keys }) } }
    static func number(_ value: Double) -> Self { .with { $0.value = .number(value) } }
    static func text(_ value: String) -> Self { .with { $0.value = .text(value) } }
}

/// The status `body` fails with; a test failure when it succeeds or fails otherwise.
func failure(_ body: () async throws -> Void, file: StaticString = #filePath, line: UInt = #line) async -> Status? {
    do {
        try await body()
        XCTFail("expected a failure", file: file, line: line)
        return nil
    } catch let status as Status {
        return status
    } catch {
        XCTFail("not a status: \(error)", file: file, line: line)
        return nil
    }
}
