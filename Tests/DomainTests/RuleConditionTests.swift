import XCTest
import Domain

/// The interpreter's conditions, over a small hand-made rule set.
final class RuleConditionTests: XCTestCase {
    private let drug = Medication(id: MedicationID("drug"), name: "Drug", form: "tablet", directions: "One daily.", products: [])

    private func fires(_ condition: RuleCondition, _ answers: [String: AnswerValue]) -> Bool {
        let rules = RuleSet(treatmentID: TreatmentID("t"), version: "1", derivedValues: [],
                            rules: [Rule(id: "r", condition: condition, actions: [.exclude([MedicationID("drug")], reason: "because")])],
                            flagDescriptions: [:], safetyQuestions: [])
        var typed: [QuestionID: AnswerValue] = [:]
        for (key, value) in answers { typed[QuestionID(key)] = value }
        return rules.evaluate(ClinicalFacts(answers: typed), medications: [drug]).offeredMedications.isEmpty
    }

    func testConditionsOverAnswers() {
        let q = QuestionID("q")
        XCTAssertTrue(fires(.equals(q, .yesNo(true)), ["q": .yesNo(true)]))
        XCTAssertFalse(fires(.equals(q, .yesNo(true)), ["q": .yesNo(false)]))
        XCTAssertTrue(fires(.equals(q, .choice("a")), ["q": .choice("a")]))
        XCTAssertTrue(fires(.includes(q, choice: "a"), ["q": .choices(["b", "a"])]))
        XCTAssertFalse(fires(.includes(q, choice: "a"), ["q": .choices(["b"])]))
        XCTAssertTrue(fires(.anyOf(q, choices: ["a", "c"]), ["q": .choice("c")]))
        XCTAssertTrue(fires(.anyOf(q, choices: ["a", "c"]), ["q": .choices(["b", "c"])]))
        XCTAssertFalse(fires(.anyOf(q, choices: ["a", "c"]), ["q": .choices(["b"])]))
        XCTAssertTrue(fires(.compare(.answer(q), .atLeast, 3), ["q": .number(3)]))
        XCTAssertFalse(fires(.compare(.answer(q), .greaterThan, 3), ["q": .number(3)]))
        XCTAssertTrue(fires(.compare(.answer(q), .atMost, 3), ["q": .number(3)]))
        XCTAssertFalse(fires(.compare(.answer(q), .lessThan, 3), ["q": .number(3)]))
    }

    func testATestOfAnUnansweredQuestionIsFalse() {
        let q = QuestionID("q")
        XCTAssertFalse(fires(.equals(q, .yesNo(true)), [:]))
        XCTAssertFalse(fires(.compare(.answer(q), .lessThan, 3), [:]))
        XCTAssertFalse(fires(.answered(q), [:]))
        XCTAssertTrue(fires(.not(.answered(q)), [:]))
    }

    func testAllAnyAndNot() {
        let yes = RuleCondition.equals(QuestionID("q"), .yesNo(true))
        let no = RuleCondition.not(yes)
        XCTAssertTrue(fires(.all([yes, yes]), ["q": .yesNo(true)]))
        XCTAssertFalse(fires(.all([yes, no]), ["q": .yesNo(true)]))
        XCTAssertTrue(fires(.any([no, yes]), ["q": .yesNo(true)]))
        XCTAssertFalse(fires(.any([no]), ["q": .yesNo(true)]))
    }
}
