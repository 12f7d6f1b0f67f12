import XCTest
@testable import Domain

final class CatalogLoadingTests: XCTestCase {
    private var catalog: Catalog!

    override func setUpWithError() throws {
        catalog = try Catalog.embedded()
    }

    func testTheEmbeddedCatalogLoadsAtItsVersion() {
        XCTAssertEqual(catalog.version, "2026-11.1")
    }

    func testACustomerSeesTheFourTreatmentsInDisplayOrder() {
        XCTAssertEqual(catalog.treatments.map(\.id.rawValue), ["erectile-dysfunction", "weight-loss", "hair-loss", "asthma"])
    }

    func testEveryQuestionnaireTakesAboutTwoMinutesAndAsksAboutTheGP() throws {
        for treatment in catalog.treatments {
            XCTAssertTrue((8...14).contains(treatment.questionnaire.questions.count), "\(treatment.id)")
            XCTAssertEqual(treatment.questionnaire.question(QuestionID("gp_consent"))?.kind, .yesNo)
            guard case .text? = treatment.questionnaire.question(QuestionID("gp_practice"))?.kind else {
                return XCTFail("\(treatment.id) has no gp_practice text question")
            }
            XCTAssertTrue(treatment.questionnaire.version.hasPrefix("\(treatment.id)/"))
        }
    }

    func testWeightLossNeedsIdentityAndWeightChecksAndWaitsFourteenDays() throws {
        let weightLoss = try XCTUnwrap(catalog.treatment(TreatmentID("weight-loss")))
        XCTAssertTrue(weightLoss.requiresIdentityCheck)
        XCTAssertTrue(weightLoss.requiresWeightVerification)
        XCTAssertEqual(weightLoss.waitingLimitDays, 14)
        let asthma = try XCTUnwrap(catalog.treatment(TreatmentID("asthma")))
        XCTAssertTrue(asthma.requiresIdentityCheck)
        XCTAssertFalse(asthma.requiresWeightVerification)
        for id in ["erectile-dysfunction", "hair-loss", "asthma"] {
            XCTAssertEqual(catalog.treatment(TreatmentID(id))?.waitingLimitDays, 7, id)
        }
    }

    func testInjectionsAreRefrigeratedAndTabletsAreNot() {
        for treatment in catalog.treatments {
            for medication in treatment.medications {
                for product in medication.products {
                    XCTAssertEqual(product.refrigerated, treatment.id == TreatmentID("weight-loss"), "\(product.id)")
                    XCTAssertTrue(GTIN.isValid(product.gtin), "\(product.id)")
                    XCTAssertGreaterThan(product.priceInPence, .zero)
                }
            }
        }
    }

    func testTheMedicationsOnOffer() {
        XCTAssertEqual(catalog.treatments.map { $0.medications.map(\.id.rawValue) }, [
            ["sildenafil", "tadalafil", "tadalafil-daily"],
            ["tirzepatide-pen", "semaglutide-pen"],
            ["finasteride"],
            ["salbutamol-inhaler"],
        ])
        let sildenafil = catalog.medication(MedicationID("sildenafil"))?.medication
        XCTAssertEqual(sildenafil?.products.map(\.strength), ["25 mg", "25 mg", "50 mg", "50 mg", "100 mg", "100 mg"])
        XCTAssertEqual(Set(sildenafil?.products.map(\.quantity) ?? []), [4, 8])
        XCTAssertEqual(catalog.medication(MedicationID("tirzepatide-pen"))?.medication.products.map(\.strength),
                       ["2.5 mg per dose", "5 mg per dose", "7.5 mg per dose"])
        XCTAssertEqual(catalog.medication(MedicationID("semaglutide-pen"))?.medication.products.map(\.strength),
                       ["0.25 mg per dose", "0.5 mg per dose", "1 mg per dose"])
    }

    func testRoyalMailFirstClassAndSpecialDeliveryAreOffered() throws {
        let firstClass = try XCTUnwrap(catalog.deliveryOption(DeliveryOptionID("royal-mail-1st-class")))
        XCTAssertEqual(firstClass.priceInPence, Pence(290))
        XCTAssertEqual(firstClass.courierServiceCode, "CRL1")
        XCTAssertFalse(firstClass.carriesRefrigerated)
        XCTAssertFalse(firstClass.signatureRequired)
        let special = try XCTUnwrap(catalog.deliveryOption(DeliveryOptionID("royal-mail-special-delivery")))
        XCTAssertEqual(special.priceInPence, Pence(1395))
        XCTAssertEqual(special.courierServiceCode, "SD1")
        XCTAssertTrue(special.carriesRefrigerated)
        XCTAssertTrue(special.signatureRequired)
        XCTAssertEqual(catalog.deliveryOptions.count, 2)
        XCTAssertNil(catalog.deliveryOption(DeliveryOptionID("dhl")))
    }

    func testAPackIsFoundByIdWithItsTreatmentAndMedication() throws {
        let found = try XCTUnwrap(catalog.product(ProductID("mounjaro-5mg-kwikpen")))
        XCTAssertEqual(found.treatment.id, TreatmentID("weight-loss"))
        XCTAssertEqual(found.medication.name, "Mounjaro (tirzepatide)")
        XCTAssertEqual(found.product.priceInPence, Pence(22999))
        XCTAssertNil(catalog.product(ProductID("mounjaro-50mg")))
    }

    func testThePharmacistsScannerFindsAPackByItsBarcode() throws {
        let found = try XCTUnwrap(catalog.product(gtin: "5069123000309"))
        XCTAssertEqual(found.product.id, ProductID("sildenafil-50mg-4"))
        XCTAssertEqual(catalog.product(gtin: "05069123000309")?.product.id, ProductID("sildenafil-50mg-4"))
        XCTAssertNil(catalog.product(gtin: "5069123000300"))
    }

    func testEveryTreatmentHasARuleSet() {
        for treatment in catalog.treatments {
            XCTAssertEqual(catalog.ruleSet(for: treatment.id)?.treatmentID, treatment.id)
            XCTAssertEqual(catalog.ruleSet(for: treatment.id)?.version, "1")
        }
        XCTAssertNil(catalog.ruleSet(for: TreatmentID("acne")))
    }

    func testGTINCheckDigits() {
        XCTAssertTrue(GTIN.isValid("4006381333931"))
        XCTAssertFalse(GTIN.isValid("4006381333932"))
        XCTAssertTrue(GTIN.isValid("04006381333931"))
        XCTAssertFalse(GTIN.isValid("400638133393"))
        XCTAssertFalse(GTIN.isValid("40063813339a1"))
    }

    func testTheEmbeddedDataMatchesTheDataFiles() {
        let names = EmbeddedCatalogData.files.map(\.name)
        XCTAssertEqual(names, ["asthma.json", "catalog.json", "erectile-dysfunction.json", "hair-loss.json", "weight-loss.json"])
        XCTAssertTrue(EmbeddedCatalogData.files.allSatisfy { $0.text.hasSuffix("}\n") })
    }
}
