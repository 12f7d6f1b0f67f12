import XCTest
@testable import Domain

/// Each data-file mistake fails the load with a message naming the file and the bad item.
final class CatalogValidationTests: XCTestCase {
    /// The embedded files with `old` replaced by `new` in `file` (`old` must occur there).
    private func files(replacing old: String, with new: String, in file: String,
                       sourceFile: StaticString = #filePath, line: UInt = #line) -> [(name: String, text: String)] {
        EmbeddedCatalogData.files.map { entry in
            guard entry.name == file else { return entry }
            XCTAssertTrue(entry.text.contains(old), "\(file) does not contain \(old)", file: sourceFile, line: line)
            return (entry.name, entry.text.replacingFirst(old, with: new))
        }
    }

    private func loadError(_ files: [(name: String, text: String)],
                           file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try Catalog.load(files: files)
            XCTFail("the catalog loaded", file: file, line: line)
            return ""
        } catch {
            return error.description
        }
    }

    private func loadError(replacing old: String, with new: String, in dataFile: String,
                           file: StaticString = #filePath, line: UInt = #line) -> String {
        loadError(files(replacing: old, with: new, in: dataFile, sourceFile: file, line: line), file: file, line: line)
    }

    func testMalformedJSONNamesTheFileLineAndColumn() {
        XCTAssertEqual(loadError(replacing: #""version": "2026-11.1","#, with: #""version": "2026-11.1",,"#, in: "catalog.json"),
                       "catalog.json: 3:26: expected a string key")
    }

    func testAMissingIndexFileIsNamed() {
        XCTAssertEqual(loadError(EmbeddedCatalogData.files.filter { $0.name != "catalog.json" }),
                       "catalog.json: missing: the catalog needs its index file")
    }

    func testAListedTreatmentFileThatIsMissingIsNamed() {
        XCTAssertEqual(loadError(EmbeddedCatalogData.files.filter { $0.name != "asthma.json" }),
                       "asthma.json: missing: listed in catalog.json 'treatment_files'")
    }

    func testAnUnlistedFileIsRefused() {
        XCTAssertEqual(loadError(EmbeddedCatalogData.files + [("acne.json", "{}")]),
                       "acne.json: not listed in catalog.json 'treatment_files'")
    }

    func testAnUnsupportedFormatIsRefused() {
        XCTAssertEqual(loadError(replacing: #""format": 1"#, with: #""format": 2"#, in: "catalog.json"),
                       "catalog.json: format: format 2 is not supported (expected 1)")
    }

    func testAMissingRequiredFieldIsNamed() {
        XCTAssertEqual(loadError(replacing: #""pack_description": "28 tablets", "#, with: "", in: "hair-loss.json"),
                       "hair-loss.json: medications[0].products[0]: missing required field 'pack_description'")
    }

    func testAMisspeltFieldIsRefused() {
        XCTAssertEqual(loadError(replacing: #""refrigerated": false }"#, with: #""refridgerated": false }"#, in: "hair-loss.json"),
                       "hair-loss.json: medications[0].products[0]: unknown field 'refridgerated'")
    }

    func testANegativePriceIsRefused() {
        XCTAssertEqual(loadError(replacing: #""price_pence": 1999"#, with: #""price_pence": -1999"#, in: "hair-loss.json"),
                       "hair-loss.json: medications[0].products[0].price_pence: must not be negative")
    }

    func testAFractionalPriceIsRefused() {
        XCTAssertEqual(loadError(replacing: #""price_pence": 290"#, with: #""price_pence": 2.9"#, in: "catalog.json"),
                       "catalog.json: delivery_options[0].price_pence: expected an integer, found a number")
    }

    func testABadGTINCheckDigitIsRefused() {
        XCTAssertEqual(loadError(replacing: "5069123001801", with: "5069123001802", in: "hair-loss.json"),
                       "hair-loss.json: medications[0].products[0].gtin: '5069123001802' is not a GTIN-13 or GTIN-14 with a valid GS1 check digit")
    }

    func testADuplicateGTINAcrossFilesIsRefused() {
        XCTAssertEqual(loadError(replacing: "5069123001801", with: "5069123000101", in: "hair-loss.json"),
                       "hair-loss.json: medications[0].products[0].gtin: duplicate GTIN 5069123000101 (also in erectile-dysfunction.json)")
    }

    func testADuplicateProductIdIsRefused() {
        XCTAssertEqual(loadError(replacing: #""id": "sildenafil-25mg-8""#, with: #""id": "sildenafil-25mg-4""#, in: "erectile-dysfunction.json"),
                       "erectile-dysfunction.json: medications[0].products[1]: duplicate product id 'sildenafil-25mg-4'")
    }

    func testADuplicateMedicationIdAcrossTreatmentsIsRefused() {
        XCTAssertEqual(loadError(replacing: #""id": "finasteride","#, with: #""id": "sildenafil","#, in: "hair-loss.json"),
                       "hair-loss.json: medications[0]: duplicate medication id 'sildenafil' (also in erectile-dysfunction.json)")
    }

    func testADuplicateQuestionIdIsRefused() {
        XCTAssertEqual(loadError(replacing: #""id": "riociguat","#, with: #""id": "nitrates","#, in: "erectile-dysfunction.json"),
                       "erectile-dysfunction.json: questionnaire.questions[3]: duplicate question id 'nitrates'")
    }

    func testADuplicateDeliveryOptionIsRefused() {
        XCTAssertEqual(loadError(replacing: #""id": "royal-mail-special-delivery""#, with: #""id": "royal-mail-1st-class""#, in: "catalog.json"),
                       "catalog.json: delivery_options[1]: duplicate delivery option id 'royal-mail-1st-class'")
    }

    func testADuplicateTreatmentIsRefused() {
        XCTAssertEqual(loadError(replacing: #""id": "asthma","#, with: #""id": "hair-loss","#, in: "asthma.json"),
                       "asthma.json: duplicate treatment id 'hair-loss'")
    }

    func testAnUnknownQuestionKindIsRefused() {
        XCTAssertEqual(loadError(replacing: #""kind": "yes_no""#, with: #""kind": "slider""#, in: "erectile-dysfunction.json"),
                       "erectile-dysfunction.json: questionnaire.questions[2].kind: unknown question kind 'slider' (known: yes_no, single_choice, multiple_choice, number, text)")
    }

    func testAQuestionnaireWithoutGPConsentIsRefused() {
        XCTAssertEqual(loadError(replacing: #""id": "gp_consent""#, with: #""id": "gp_ok""#, in: "asthma.json"),
                       "asthma.json: questionnaire.questions: expected a yes/no question 'gp_consent'")
    }

    func testANumberQuestionWithInvertedBoundsIsRefused() {
        XCTAssertEqual(loadError(replacing: #""maximum": 230"#, with: #""maximum": 100"#, in: "weight-loss.json"),
                       "weight-loss.json: questionnaire.questions[0].maximum: must not be less than 'minimum'")
    }

    func testARuleNamingAnUnknownQuestionIsRefused() {
        XCTAssertEqual(loadError(replacing: #""weight_kg": "weight_kg""#, with: #""weight_kg": "weight""#, in: "weight-loss.json"),
                       "weight-loss.json: weight-loss rules v1: unknown question 'weight' (at rules.derived[0].weight_kg)")
        XCTAssertEqual(loadError(replacing: #"{ "equals": { "question": "nitrates", "value": true } }"#,
                                 with: #"{ "equals": { "question": "nitrate", "value": true } }"#, in: "erectile-dysfunction.json"),
                       "erectile-dysfunction.json: erectile-dysfunction rules v1, rule 'nitrates_with_pde5_inhibitor': unknown question 'nitrate' (at rules.rules[0].when.equals.question)")
    }

    func testARuleNamingAnUnknownDerivedValueIsRefused() {
        XCTAssertEqual(loadError(replacing: #"{ "less_than": { "derived": "bmi", "value": 27 } }"#,
                                 with: #"{ "less_than": { "derived": "body_mass", "value": 27 } }"#, in: "weight-loss.json"),
                       "weight-loss.json: weight-loss rules v1, rule 'bmi_under_27': unknown derived value 'body_mass' (at rules.rules[3].when.less_than.derived)")
    }

    func testARuleNamingAnUnknownChoiceIsRefused() {
        XCTAssertEqual(loadError(replacing: #"["patches", "all_over"]"#, with: #"["patches", "bald"]"#, in: "hair-loss.json"),
                       "hair-loss.json: hair-loss rules v1, rule 'atypical_hair_loss': question 'hair_loss_pattern' has no choice 'bald' (at rules.rules[2].when.any_of.choices)")
    }

    func testARuleComparingAYesNoAnswerWithTextIsRefused() {
        XCTAssertEqual(loadError(replacing: #"{ "equals": { "question": "riociguat", "value": true } }"#,
                                 with: #"{ "equals": { "question": "riociguat", "value": "yes" } }"#, in: "erectile-dysfunction.json"),
                       "erectile-dysfunction.json: erectile-dysfunction rules v1, rule 'riociguat_with_pde5_inhibitor': expected a boolean, found a string (at rules.rules[1].when.equals.value)")
    }

    func testARuleExcludingAnUnknownMedicationIsRefused() {
        XCTAssertEqual(loadError(replacing: #""exclude": ["finasteride"]"#, with: #""exclude": ["minoxidil"]"#, in: "hair-loss.json"),
                       "hair-loss.json: hair-loss rules v1, rule 'may_become_pregnant': unknown medication 'minoxidil' (at rules.rules[0].then[0].exclude)")
    }

    func testAnUnknownConditionIsRefused() {
        XCTAssertEqual(loadError(replacing: #"{ "at_least": { "question": "reliever_uses_per_week", "value": 3 } }"#,
                                 with: #"{ "roughly": { "question": "reliever_uses_per_week", "value": 3 } }"#, in: "asthma.json"),
                       "asthma.json: asthma rules v1, rule 'reliever_three_or_more_times_a_week': unknown condition 'roughly' (at rules.rules[1].when)")
    }

    func testAnUnknownRuleActionIsRefused() {
        XCTAssertEqual(loadError(replacing: #"{ "flag": "beta_blocker", "message": "Takes a beta-blocker." }"#,
                                 with: #"{ "approve": true }"#, in: "asthma.json"),
                       "asthma.json: asthma rules v1, rule 'beta_blockers': unknown action 'approve' (a rule may only 'exclude' or 'flag') (at rules.rules[7].then[0])")
    }

    func testAnUndeclaredFlagCodeIsRefused() {
        XCTAssertEqual(loadError(replacing: #"{ "flag": "beta_blocker", "message""#, with: #"{ "flag": "beta_blockers", "message""#, in: "asthma.json"),
                       "asthma.json: asthma rules v1, rule 'beta_blockers': flag 'beta_blockers' is not declared in 'flags' (at rules.rules[7].then[0].flag)")
    }

    func testAnUnknownPlaceholderInAFlagMessageIsRefused() {
        XCTAssertEqual(loadError(replacing: "BMI {bmi} is under 27.", with: "BMI {body_mass_index} is under 27.", in: "weight-loss.json"),
                       "weight-loss.json: weight-loss rules v1, rule 'bmi_under_27': unknown placeholder '{body_mass_index}' (at rules.rules[3].then[1].message)")
    }

    func testADuplicateRuleIdIsRefused() {
        XCTAssertEqual(loadError(replacing: #""id": "oral_steroids""#, with: #""id": "hospital_admission""#, in: "asthma.json"),
                       "asthma.json: asthma rules v1, rule 'hospital_admission': duplicate rule id (at rules.rules[5])")
    }

    func testAFlagCodeNoRuleRaisesIsRefused() {
        XCTAssertEqual(loadError(replacing: #""flags": {"#, with: #""flags": { "unused_code": "Never raised.","#, in: "asthma.json"),
                       "asthma.json: asthma rules v1: flag 'unused_code' is declared but no rule raises it")
    }

    func testAnUnknownFormulaIsRefused() {
        XCTAssertEqual(loadError(replacing: #""formula": "bmi""#, with: #""formula": "waist_to_height""#, in: "weight-loss.json"),
                       "weight-loss.json: weight-loss rules v1: unknown formula 'waist_to_height' (known: bmi) (at rules.derived[0].formula)")
    }

    func testAnUnknownFactIsRefused() {
        XCTAssertEqual(loadError(replacing: #""fact": "customers_sharing_address""#, with: #""fact": "customers_at_address""#, in: "asthma.json"),
                       "asthma.json: asthma rules v1, rule 'shared_address': unknown fact 'customers_at_address' (at rules.rules[10].when.greater_than.fact)")
    }
}

extension String {
    /// This string with the first occurrence of `target` replaced.
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
