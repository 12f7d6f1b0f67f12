import Domain
import Foundation
import Generated
import MedExpress
import RPCCore
import Store
import XCTest

/// The customer's consultation (user journeys: browse, consult, be offered medicines), over gRPC
/// against the server as `serve` assembles it, on SQLite and on PostgreSQL.
final class ConsultationJourneyTests: XCTestCase {
    func testAnyoneBrowsesTheTreatmentsAndDeliveryOptionsWithoutSigningIn() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            let listed = try await deployment.catalog.listTreatments(.init())
            XCTAssertEqual(listed.treatments.map(\.id), ["erectile-dysfunction", "weight-loss", "hair-loss", "asthma"], name)
            XCTAssertFalse(listed.catalogVersion.isEmpty, name)
            let weightLoss = try await deployment.catalog.getTreatment(.with { $0.treatmentId = "weight-loss" })
            XCTAssertTrue(weightLoss.requiresIdentityCheck && weightLoss.requiresWeightVerification, name)
            let pens = weightLoss.medications.flatMap(\.products)
            XCTAssertTrue(pens.allSatisfy(\.refrigerated), name)
            XCTAssertTrue(pens.allSatisfy { $0.price?.currency == "GBP" && ($0.price?.minorUnits ?? 0) > 0 }, name)
            let delivery = try await deployment.catalog.listDeliveryOptions(.init()).deliveryOptions
            XCTAssertEqual(delivery.map { $0.price?.minorUnits }, [290, 1395], name)
            XCTAssertEqual(delivery.map(\.carriesRefrigerated), [false, true], name)
            let unknown = await failure { _ = try await deployment.catalog.getTreatment(.with { $0.treatmentId = "hay-fever" }) }
            XCTAssertEqual(unknown?.code, .notFound, name)
            await deployment.stop()
        }
    }

    func testEveryAnswerIsKeptAndAChangedSafetyAnswerIsFlaggedForThePrescriber() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            let customer = try await deployment.signUp("changer@example.org")
            let draft = try await deployment.consult(customer, "erectile-dysfunction", answers: ["nitrates": .yesNo(true)], submit: false)
            XCTAssertEqual(draft.state, .inProgress, name)
            let changed = try await deployment.answer(customer, draft.id, "nitrates", .yesNo(false))
            XCTAssertTrue(changed.changed, name)
            let unchanged = try await deployment.answer(customer, draft.id, "nitrates", .yesNo(false))
            XCTAssertFalse(unchanged.changed, name)
            XCTAssertEqual(unchanged.sequence, changed.sequence + 1, name)

            let submitted = try await deployment.consultations.submitConsultation(.with {
                $0.requestId = TestDeployment.requestID()
                $0.consultationId = draft.id
            }, metadata: customer.metadata)
            XCTAssertEqual(submitted.state, .submitted, name)
            XCTAssertNotNil(submitted.submittedAt, name)
            let nitrates = submitted.answers.first { $0.questionId == "nitrates" }
            XCTAssertEqual(nitrates?.answer, .yesNo(false), name)
            XCTAssertEqual(nitrates?.changes, 1, name)
            let assessment = try XCTUnwrap(submitted.assessment, name)
            XCTAssertEqual(assessment.ruleSetVersion.isEmpty, false, name)
            XCTAssertTrue(assessment.flags.contains { $0.code == "safety_answer_changed" }, "\(name): \(assessment.flags)")
            XCTAssertTrue(assessment.offered.contains { $0.medicationId == "sildenafil" }, name)

            // Every call is in the store, in order: the first yes, the change, the repeat.
            let events = try await store.read { tx in
                try tx.query("SELECT seq, changed FROM consultation_answers WHERE consultation_id = $1 AND question_id = 'nitrates' ORDER BY seq",
                             [.text(draft.id)])
            }
            XCTAssertEqual(try events.map { try $0.int64("changed") }, [0, 1, 0], name)

            let late = await failure { try await deployment.answer(customer, draft.id, "nitrates", .yesNo(true)) }
            XCTAssertEqual(late?.code, .failedPrecondition, name)
            XCTAssertTrue(late?.message.contains("SUBMITTED") ?? false, "\(name): \(late?.message ?? "")")
            await deployment.stop()
        }
    }

    func testNitratesRuleOutSildenafilAndTadalafil() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            let customer = try await deployment.signUp("nitrates@example.org")
            let consultation = try await deployment.consult(customer, "erectile-dysfunction", answers: ["nitrates": .yesNo(true)])
            let assessment = try XCTUnwrap(consultation.assessment, name)
            XCTAssertEqual(assessment.offered, [], name)
            XCTAssertTrue(Set(assessment.exclusions.map(\.medicationId)).isSuperset(of: ["sildenafil", "tadalafil"]), name)
            // No medicine offered, nothing to buy.
            let refused = await failure {
                _ = try await deployment.checkout(customer, consultation.id, product: "sildenafil-50mg-8")
            }
            XCTAssertEqual(refused?.code, .failedPrecondition, name)
            await deployment.stop()
        }
    }

    func testWeightLossComputesBMIAndFlagsOneUnder27() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            let customer = try await deployment.signUp("bmi@example.org")
            let consultation = try await deployment.consult(customer, "weight-loss",
                                                            answers: ["height_cm": .number(180), "weight_kg": .number(81)])
            let assessment = try XCTUnwrap(consultation.assessment, name)
            XCTAssertEqual(assessment.derivedValues["bmi"] ?? 0, 25.0, accuracy: 0.01, name)
            XCTAssertTrue(assessment.flags.contains { $0.code == "bmi_below_27" }, name)
            XCTAssertEqual(assessment.offered, [], name)
            await deployment.stop()
        }
    }

    func testSubmittingWithUnansweredQuestionsNamesThem() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            let customer = try await deployment.signUp("halfway@example.org")
            let started = try await deployment.consultations.startConsultation(.with {
                $0.requestId = TestDeployment.requestID()
                $0.treatmentId = "hair-loss"
            }, metadata: customer.metadata)
            try await deployment.answer(customer, started.id, "sex", .choice("male"))
            let refused = await failure {
                _ = try await deployment.consultations.submitConsultation(.with {
                    $0.requestId = TestDeployment.requestID()
                    $0.consultationId = started.id
                }, metadata: customer.metadata)
            }
            XCTAssertEqual(refused?.code, .failedPrecondition, name)
            XCTAssertTrue(refused?.message.contains("may_become_pregnant") ?? false, "\(name): \(refused?.message ?? "")")
            await deployment.stop()
        }
    }

    func testAnAnswerOfTheWrongKindNamesTheQuestion() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            let customer = try await deployment.signUp("wrongkind@example.org")
            let started = try await deployment.consultations.startConsultation(.with {
                $0.requestId = TestDeployment.requestID()
                $0.treatmentId = "weight-loss"
            }, metadata: customer.metadata)
            for (question, answer) in [("weight_kg", Medexpress_V1_Answer.text("heavy")), ("weight_kg", .number(9_000)),
                                       ("comorbidities", .choices(["gout"])), ("no_such_question", .yesNo(true))] {
                let refused = await failure { try await deployment.answer(customer, started.id, question, answer) }
                XCTAssertEqual(refused?.code, .invalidArgument, "\(name) \(question)")
                XCTAssertTrue(refused?.message.contains(question) ?? false, "\(name): \(refused?.message ?? "")")
            }
            let unknownTreatment = await failure {
                _ = try await deployment.consultations.startConsultation(.with {
                    $0.requestId = TestDeployment.requestID()
                    $0.treatmentId = "hay-fever"
                }, metadata: customer.metadata)
            }
            XCTAssertEqual(unknownTreatment?.code, .notFound, name)
            await deployment.stop()
        }
    }

    func testARetriedAnswerIsRecordedOnce() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            let customer = try await deployment.signUp("retry@example.org")
            let started = try await deployment.consultations.startConsultation(.with {
                $0.requestId = TestDeployment.requestID()
                $0.treatmentId = "asthma"
            }, metadata: customer.metadata)
            let first = try await deployment.answer(customer, started.id, "reliever_uses_per_week", .number(4), requestID: "answer-1")
            let again = try await deployment.answer(customer, started.id, "reliever_uses_per_week", .number(4), requestID: "answer-1")
            XCTAssertEqual(first, again, name)
            let reused = await failure {
                try await deployment.answer(customer, started.id, "reliever_uses_per_week", .number(1), requestID: "answer-1")
            }
            XCTAssertEqual(reused?.code, .alreadyExists, name)
            let count = try await store.read { tx in
                try tx.query("SELECT COUNT(*) AS n FROM consultation_answers WHERE consultation_id = $1", [.text(started.id)]).first?.int64("n")
            }
            XCTAssertEqual(count, 1, name)
            await deployment.stop()
        }
    }

    func testAnswersAreSealedAtRestAndTheirHistoryCannotBeRewritten() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            let customer = try await deployment.signUp("sealed@example.org")
            let secret = "Atorvastatin 20 mg and Ramipril 5 mg"
            let consultation = try await deployment.consult(customer, "erectile-dysfunction", answers: ["other_medicines": .text(secret)])
            let rows = try await store.read { tx in
                try tx.query("SELECT id, answer FROM consultation_answers WHERE consultation_id = $1", [.text(consultation.id)])
            }
            XCTAssertFalse(rows.isEmpty, name)
            for row in rows {
                let sealed = try row.bytes("answer")
                XCTAssertNil(String(decoding: sealed, as: UTF8.self).range(of: "Atorvastatin"), name)
            }
            let assessment = try await store.read { tx in
                try tx.query("SELECT assessment FROM consultations WHERE id = $1", [.text(consultation.id)]).first?.bytes("assessment")
            }
            XCTAssertNil(String(decoding: assessment ?? [], as: UTF8.self).range(of: "sildenafil"), name)
            for statement in ["UPDATE consultation_answers SET question_id = 'nitrates' WHERE consultation_id = $1",
                              "DELETE FROM consultation_answers WHERE consultation_id = $1"] {
                do {
                    _ = try await store.write { tx in try tx.execute(statement, [.text(consultation.id)]) }
                    XCTFail("\(name): \(statement) succeeded")
                } catch {
                    XCTAssertTrue("\(error)".contains("append-only"), "\(name): \(error)")
                }
            }
            await deployment.stop()
        }
    }
}
