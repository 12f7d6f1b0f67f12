import XCTest
import Domain

/// The clinical rules of each treatment, as the prescriber would describe them.
final class RuleSetTests: XCTestCase {
    private var catalog: Catalog!

    override func setUpWithError() throws {
        catalog = try Catalog.embedded()
    }

    // MARK: answers of a customer with nothing of note

    private let edAnswers: [String: AnswerValue] = [
        "erection_difficulty": .choice("sometimes"), "symptom_duration": .choice("over_12_months"),
        "nitrates": .yesNo(false), "riociguat": .yesNo(false), "heart_attack_or_stroke_6_months": .yesNo(false),
        "heart_condition": .yesNo(false), "low_blood_pressure": .yesNo(false), "vision_disorder": .yesNo(false),
        "alpha_blockers": .yesNo(false), "other_medicines": .text("none"), "gp_consent": .yesNo(true),
        "gp_practice": .text("Riverside Surgery, 1 High Street, York YO1 1AA"),
    ]

    private let weightLossAnswers: [String: AnswerValue] = [
        "height_cm": .number(170), "weight_kg": .number(95), "comorbidities": .choices(["none"]),
        "pregnant_or_breastfeeding": .yesNo(false), "mtc_men2_history": .yesNo(false), "pancreatitis": .yesNo(false),
        "eating_disorder": .yesNo(false), "diabetes_medicines": .yesNo(false),
        "current_weight_loss_injection": .choice("no"), "other_medicines": .text("none"), "gp_consent": .yesNo(false),
    ]

    private let hairLossAnswers: [String: AnswerValue] = [
        "sex": .choice("male"), "may_become_pregnant": .yesNo(false), "hair_loss_pattern": .choice("crown_thinning"),
        "hair_loss_duration": .choice("over_2_years"), "scalp_symptoms": .yesNo(false), "prostate_condition": .yesNo(false),
        "depression_history": .yesNo(false), "liver_disease": .yesNo(false), "other_medicines": .text("none"),
        "gp_consent": .yesNo(false),
    ]

    private let asthmaAnswers: [String: AnswerValue] = [
        "diagnosed_by_clinician": .yesNo(true), "reliever_uses_per_week": .number(1), "night_symptoms": .yesNo(false),
        "uses_preventer": .yesNo(true), "hospital_admission_12_months": .yesNo(false), "oral_steroids_12_months": .yesNo(false),
        "last_asthma_review": .choice("within_12_months"), "beta_blockers": .yesNo(false), "other_medicines": .text("Clenil"),
        "gp_consent": .yesNo(false),
    ]

    private func answers(_ base: [String: AnswerValue], _ changes: [String: AnswerValue] = [:]) -> [QuestionID: AnswerValue] {
        var result: [QuestionID: AnswerValue] = [:]
        for (key, value) in base.merging(changes, uniquingKeysWith: { $1 }) { result[QuestionID(key)] = value }
        return result
    }

    private func assess(_ treatment: String, _ facts: ClinicalFacts) throws -> ClinicalAssessment {
        try XCTUnwrap(catalog.assess(TreatmentID(treatment), facts: facts))
    }

    private func assess(_ treatment: String, _ base: [String: AnswerValue], _ changes: [String: AnswerValue] = [:]) throws -> ClinicalAssessment {
        try assess(treatment, ClinicalFacts(answers: answers(base, changes)))
    }

    private func offered(_ assessment: ClinicalAssessment) -> [String] { assessment.offeredMedications.map(\.rawValue) }
    private func codes(_ assessment: ClinicalAssessment) -> [String] { assessment.flags.map(\.code) }

    // MARK: every treatment

    func testACustomerWithNothingOfNoteIsOfferedEverythingWithoutFlags() throws {
        for (treatment, base) in [("erectile-dysfunction", edAnswers), ("weight-loss", weightLossAnswers),
                                  ("hair-loss", hairLossAnswers), ("asthma", asthmaAnswers)] {
            let assessment = try assess(treatment, base)
            XCTAssertEqual(assessment.offeredMedications, catalog.treatment(TreatmentID(treatment))?.medications.map(\.id), treatment)
            XCTAssertEqual(assessment.exclusions, [], treatment)
            XCTAssertEqual(assessment.flags, [], treatment)
            XCTAssertEqual(assessment.ruleSetVersion, "1")
        }
    }

    // MARK: erectile dysfunction

    func testAManTakingNitratesIsOfferedNeitherSildenafilNorTadalafil() throws {
        let assessment = try assess("erectile-dysfunction", edAnswers, ["nitrates": .yesNo(true)])
        XCTAssertEqual(offered(assessment), [])
        XCTAssertEqual(assessment.exclusions.map(\.medication.rawValue), ["sildenafil", "tadalafil", "tadalafil-daily"])
        XCTAssertTrue(assessment.exclusions.allSatisfy { $0.ruleID == "nitrates_with_pde5_inhibitor" && $0.reason.contains("Nitrates") })
    }

    func testAManTakingRiociguatIsOfferedNeitherSildenafilNorTadalafil() throws {
        let assessment = try assess("erectile-dysfunction", edAnswers, ["riociguat": .yesNo(true)])
        XCTAssertEqual(offered(assessment), [])
        XCTAssertEqual(Set(assessment.exclusions.map(\.ruleID)), ["riociguat_with_pde5_inhibitor"])
    }

    func testAHeartAttackInTheLastSixMonthsExcludesTabletsAndIsFlagged() throws {
        let assessment = try assess("erectile-dysfunction", edAnswers, ["heart_attack_or_stroke_6_months": .yesNo(true)])
        XCTAssertEqual(offered(assessment), [])
        XCTAssertEqual(codes(assessment), ["recent_cardiovascular_event"])
    }

    func testAManOnAnAlphaBlockerIsOfferedTabletsButFlagged() throws {
        let assessment = try assess("erectile-dysfunction", edAnswers, ["alpha_blockers": .yesNo(true)])
        XCTAssertEqual(offered(assessment), ["sildenafil", "tadalafil", "tadalafil-daily"])
        XCTAssertEqual(codes(assessment), ["alpha_blocker_interaction"])
    }

    // MARK: weight loss

    func testAPregnantOrBreastfeedingWomanIsNotOfferedWeightLossInjections() throws {
        let assessment = try assess("weight-loss", weightLossAnswers, ["pregnant_or_breastfeeding": .yesNo(true)])
        XCTAssertEqual(offered(assessment), [])
        XCTAssertEqual(assessment.exclusions.map(\.medication.rawValue), ["tirzepatide-pen", "semaglutide-pen"])
        XCTAssertEqual(Set(assessment.exclusions.map(\.ruleID)), ["pregnancy_or_breastfeeding"])
    }

    func testAHistoryOfMedullaryThyroidCancerOrMEN2ExcludesWeightLossInjections() throws {
        let assessment = try assess("weight-loss", weightLossAnswers, ["mtc_men2_history": .yesNo(true)])
        XCTAssertEqual(offered(assessment), [])
        XCTAssertEqual(Set(assessment.exclusions.map(\.ruleID)), ["mtc_or_men2_history"])
    }

    func testABMIUnder27ExcludesWeightLossInjectionsAndIsFlagged() throws {
        // 75 kg at 170 cm: BMI 26.0.
        let assessment = try assess("weight-loss", weightLossAnswers, ["weight_kg": .number(75), "comorbidities": .choices(["hypertension"])])
        XCTAssertEqual(offered(assessment), [])
        XCTAssertEqual(assessment.flags, [ClinicalFlag(code: "bmi_below_27", ruleID: "bmi_under_27", message: "BMI 26.0 is under 27.")])
        XCTAssertEqual(assessment.derivedValues["bmi"], 26.0)
    }

    func testABMIOf28WithoutAWeightRelatedConditionIsExcludedAndFlagged() throws {
        // 81 kg at 170 cm: BMI 28.0.
        let assessment = try assess("weight-loss", weightLossAnswers, ["weight_kg": .number(81)])
        XCTAssertEqual(offered(assessment), [])
        XCTAssertEqual(codes(assessment), ["bmi_below_30_without_comorbidity"])
        XCTAssertEqual(assessment.flags.first?.message, "BMI 28.0 is under 30 and no weight-related condition was listed.")
    }

    func testABMIOf28WithHighBloodPressureIsOfferedInjections() throws {
        let assessment = try assess("weight-loss", weightLossAnswers, ["weight_kg": .number(81), "comorbidities": .choices(["hypertension"])])
        XCTAssertEqual(offered(assessment), ["tirzepatide-pen", "semaglutide-pen"])
        XCTAssertEqual(assessment.flags, [])
    }

    func testABMIOf30WithoutAWeightRelatedConditionIsOfferedInjections() throws {
        // 86.7 kg at 170 cm: BMI 30.0 to one decimal place.
        let assessment = try assess("weight-loss", weightLossAnswers, ["weight_kg": .number(86.7)])
        XCTAssertEqual(assessment.derivedValues["bmi"], 30.0)
        XCTAssertEqual(offered(assessment), ["tirzepatide-pen", "semaglutide-pen"])
    }

    func testBMIIsWeightOverHeightInMetresSquaredToOneDecimalPlace() {
        XCTAssertEqual(DerivedValue.bmi(weightKilograms: 95, heightCentimetres: 170), 32.9)   // 32.87…
        XCTAssertEqual(DerivedValue.bmi(weightKilograms: 80, heightCentimetres: 180), 24.7)   // 24.69…
        XCTAssertEqual(DerivedValue.bmi(weightKilograms: 100, heightCentimetres: 200), 25.0)
        XCTAssertEqual(DerivedValue.bmi(weightKilograms: 78.03, heightCentimetres: 170), 27.0) // 26.999…, recorded as 27.0
        let bmi = DerivedValue(name: "bmi", formula: .bmi(weightKilograms: QuestionID("w"), heightCentimetres: QuestionID("h")))
        XCTAssertNil(bmi.compute([QuestionID("w"): .number(80)]))
        XCTAssertEqual(bmi.compute([QuestionID("w"): .number(80), QuestionID("h"): .number(180)]), 24.7)
    }

    // MARK: hair loss

    func testAWomanWhoMayBecomePregnantIsNotOfferedFinasteride() throws {
        let assessment = try assess("hair-loss", hairLossAnswers, ["sex": .choice("female"), "may_become_pregnant": .yesNo(true)])
        XCTAssertEqual(offered(assessment), [])
        XCTAssertEqual(assessment.exclusions.map(\.ruleID), ["may_become_pregnant"])
    }

    func testAWomanWhoCannotBecomePregnantIsFlaggedAsOffLabel() throws {
        let assessment = try assess("hair-loss", hairLossAnswers, ["sex": .choice("female")])
        XCTAssertEqual(offered(assessment), ["finasteride"])
        XCTAssertEqual(codes(assessment), ["finasteride_in_women"])
    }

    // MARK: asthma

    func testUsingTheRelieverThreeTimesAWeekIsFlaggedAsPoorlyControlledAsthma() throws {
        let assessment = try assess("asthma", asthmaAnswers, ["reliever_uses_per_week": .number(3)])
        XCTAssertEqual(codes(assessment), ["poorly_controlled_asthma"])
        XCTAssertEqual(offered(assessment), ["salbutamol-inhaler"], "rules advise; the prescriber decides")
        XCTAssertEqual(codes(try assess("asthma", asthmaAnswers, ["reliever_uses_per_week": .number(2)])), [])
    }

    func testAsthmaWithoutAPreventerOrWithAHospitalAdmissionIsFlagged() throws {
        let assessment = try assess("asthma", asthmaAnswers, ["uses_preventer": .yesNo(false), "hospital_admission_12_months": .yesNo(true)])
        XCTAssertEqual(codes(assessment), ["no_preventer", "recent_asthma_admission"])
    }

    // MARK: facts the service supplies

    func testChangingTheAnswerToASafetyQuestionIsFlaggedNamingTheQuestion() throws {
        let facts = ClinicalFacts(answers: answers(edAnswers),
                                  changedQuestions: [QuestionID("riociguat"), QuestionID("nitrates"), QuestionID("other_medicines")])
        let assessment = try assess("erectile-dysfunction", facts)
        XCTAssertEqual(assessment.flags, [ClinicalFlag(code: "safety_answer_changed", ruleID: "safety_answer_changed",
                                                       message: "Answer changed during the consultation on: nitrates, riociguat.")])
    }

    func testChangingTheAnswerToAnOrdinaryQuestionIsNotFlagged() throws {
        let facts = ClinicalFacts(answers: answers(edAnswers), changedQuestions: [QuestionID("symptom_duration")])
        XCTAssertEqual(try assess("erectile-dysfunction", facts).flags, [])
    }

    func testARecentRefusalWithDifferentAnswersIsFlagged() throws {
        let refused = answers(weightLossAnswers, ["weight_kg": .number(70), "pancreatitis": .yesNo(true), "other_medicines": .text("x")])
        let facts = ClinicalFacts(answers: answers(weightLossAnswers), earlierRefusals: [refused])
        let assessment = try assess("weight-loss", facts)
        XCTAssertEqual(assessment.flags.map(\.message), ["A recently refused consultation had different answers on: weight_kg, pancreatitis."])
    }

    func testARecentRefusalWithTheSameAnswersIsNotFlagged() throws {
        let facts = ClinicalFacts(answers: answers(weightLossAnswers), earlierRefusals: [answers(weightLossAnswers)])
        XCTAssertEqual(try assess("weight-loss", facts).flags, [])
    }

    func testAnotherCustomerAtTheSameAddressIsFlagged() throws {
        let facts = ClinicalFacts(answers: answers(hairLossAnswers), customersSharingAddress: 2)
        XCTAssertEqual(try assess("hair-loss", facts).flags,
                       [ClinicalFlag(code: "shared_address", ruleID: "shared_address", message: "2 other customer(s) use the same delivery address.")])
    }

    func testAnotherCustomerPayingWithTheSameCardIsFlagged() throws {
        let facts = ClinicalFacts(answers: answers(asthmaAnswers), customersSharingPaymentMethod: 1)
        XCTAssertEqual(codes(try assess("asthma", facts)), ["shared_payment_method"])
    }

    func testConsentingToTheGPWithoutNamingThePracticeIsFlagged() throws {
        XCTAssertEqual(codes(try assess("asthma", asthmaAnswers, ["gp_consent": .yesNo(true)])), ["gp_details_missing"])
        XCTAssertEqual(codes(try assess("asthma", asthmaAnswers, ["gp_consent": .yesNo(true), "gp_practice": .text("Elm Surgery, Leeds")])), [])
    }

    func testEveryFlagCodeIsDocumentedInItsRuleSet() throws {
        for treatment in catalog.treatments {
            let rules = try XCTUnwrap(catalog.ruleSet(for: treatment.id))
            for rule in rules.rules {
                for case let .flag(code, _) in rule.actions {
                    XCTAssertNotNil(rules.flagDescriptions[code], "\(treatment.id) \(code)")
                }
            }
        }
    }
}
