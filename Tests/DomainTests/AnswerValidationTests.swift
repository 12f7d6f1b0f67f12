import XCTest
import Domain

final class AnswerValidationTests: XCTestCase {
    private var weightLoss: Questionnaire!

    override func setUpWithError() throws {
        weightLoss = try XCTUnwrap(Catalog.embedded().treatment(TreatmentID("weight-loss"))).questionnaire
    }

    private func problem(_ answer: AnswerValue, for id: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            try weightLoss.validate(answer, for: QuestionID(id))
            XCTFail("accepted \(answer) for \(id)", file: file, line: line)
            return ""
        } catch {
            return error.description
        }
    }

    func testACustomerAnswersEachKindOfQuestion() throws {
        try weightLoss.validate(.yesNo(false), for: QuestionID("pancreatitis"))
        try weightLoss.validate(.choice("wegovy"), for: QuestionID("current_weight_loss_injection"))
        try weightLoss.validate(.choices(["type_2_diabetes", "hypertension"]), for: QuestionID("comorbidities"))
        try weightLoss.validate(.choices([]), for: QuestionID("comorbidities"))
        try weightLoss.validate(.number(40), for: QuestionID("weight_kg"))
        try weightLoss.validate(.number(350), for: QuestionID("weight_kg"))
        try weightLoss.validate(.text("The Surgery, 2 Mill Lane, Bath BA1 1AA"), for: QuestionID("gp_practice"))
    }

    func testAnAnswerOfTheWrongKindIsRefused() {
        XCTAssertEqual(problem(.text("yes"), for: "pancreatitis"), "answer to 'pancreatitis': expected yes or no")
        XCTAssertEqual(problem(.choices(["no"]), for: "current_weight_loss_injection"), "answer to 'current_weight_loss_injection': expected one choice")
        XCTAssertEqual(problem(.choice("none"), for: "comorbidities"), "answer to 'comorbidities': expected a list of choices")
        XCTAssertEqual(problem(.text("95"), for: "weight_kg"), "answer to 'weight_kg': expected a number")
        XCTAssertEqual(problem(.yesNo(true), for: "gp_practice"), "answer to 'gp_practice': expected text")
    }

    func testAChoiceThatIsNotOfferedIsRefused() {
        XCTAssertEqual(problem(.choice("saxenda"), for: "current_weight_loss_injection"),
                       "answer to 'current_weight_loss_injection': 'saxenda' is not one of the question's choices")
        XCTAssertEqual(problem(.choices(["hypertension", "asthma"]), for: "comorbidities"),
                       "answer to 'comorbidities': 'asthma' is not one of the question's choices")
    }

    func testAChoiceMadeTwiceIsRefused() {
        XCTAssertEqual(problem(.choices(["hypertension", "hypertension"]), for: "comorbidities"),
                       "answer to 'comorbidities': 'hypertension' is chosen more than once")
    }

    func testAWeightOutsideTheBoundsIsRefused() {
        XCTAssertEqual(problem(.number(20), for: "weight_kg"), "answer to 'weight_kg': 20 kg is outside 40 to 350 kg")
        XCTAssertEqual(problem(.number(350.5), for: "weight_kg"), "answer to 'weight_kg': 350.5 kg is outside 40 to 350 kg")
        XCTAssertEqual(problem(.number(.nan), for: "weight_kg"), "answer to 'weight_kg': expected a finite number")
    }

    func testBlankOrOverlongTextIsRefused() {
        XCTAssertEqual(problem(.text("  \n "), for: "gp_practice"), "answer to 'gp_practice': the text is empty")
        XCTAssertEqual(problem(.text(String(repeating: "a", count: 301)), for: "gp_practice"),
                       "answer to 'gp_practice': 301 characters is more than the limit of 300")
    }

    func testAnAnswerToAQuestionNotInTheQuestionnaireIsRefused() {
        XCTAssertEqual(problem(.yesNo(true), for: "nitrates"), "answer to 'nitrates': the questionnaire has no such question")
    }

    func testSubmittingWithoutTheRequiredAnswersListsThemInOrder() {
        let answers: [QuestionID: AnswerValue] = [QuestionID("weight_kg"): .number(90), QuestionID("pancreatitis"): .yesNo(false)]
        XCTAssertEqual(weightLoss.missingRequired(answers).map(\.rawValue), [
            "height_cm", "comorbidities", "pregnant_or_breastfeeding", "mtc_men2_history", "eating_disorder",
            "diabetes_medicines", "current_weight_loss_injection", "other_medicines", "gp_consent",
        ])
    }

    func testTheGPPracticeIsOptional() {
        XCTAssertFalse(weightLoss.missingRequired([:]).contains(QuestionID("gp_practice")))
    }
}
