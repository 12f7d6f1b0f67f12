import Domain
import Foundation
import Generated
import MedExpress
import RPCCore
import Store
import XCTest

/// The prescriber's journey (review the queue, read the case, verify, reject or ask), over mTLS
/// with a real staff certificate, password and TOTP, on SQLite and on PostgreSQL.
final class PrescriberJourneyTests: XCTestCase {
    func testThePrescriberSeesTheQueueOldestFirstAndEveryReadOfACaseIsAudited() async throws {
        try await TestDatabases.each { store, name in
            let pki = try TestPKI()
            let deployment = try await TestDeployment.start(on: store, pki: pki)
            let customer = try await deployment.signUp("patient@example.org")
            let draft = try await deployment.consult(customer, "erectile-dysfunction", answers: ["alpha_blockers": .yesNo(true)], submit: false)
            try await deployment.answer(customer, draft.id, "alpha_blockers", .yesNo(false))
            _ = try await deployment.consultations.submitConsultation(.with {
                $0.requestId = TestDeployment.requestID()
                $0.consultationId = draft.id
            }, metadata: customer.metadata)
            let first = try await deployment.checkout(customer, draft.id, product: "sildenafil-25mg-4")
            let later = try await deployment.consult(customer, "hair-loss", answers: ["sex": .choice("male")])
            let second = try await deployment.checkout(customer, later.id, product: "finasteride-1mg-28")

            let prescriber = try await deployment.signInStaff("dr-shah", role: .prescriber)
            let queue = try await prescriber.prescriber.listReviewQueue(.init())
            XCTAssertEqual(queue.entries.map(\.orderId), [first.id, second.id], name)
            XCTAssertGreaterThan(queue.entries[0].flagCount, 0, name)

            let caseFile = try await prescriber.prescriber.getCase(.with { $0.orderId = first.id })
            XCTAssertEqual(caseFile.patient?.familyName, "Lovelace-Pharmacy", name)
            XCTAssertEqual(caseFile.patient?.ageYears ?? 0 >= 18, true, name)
            let history = try XCTUnwrap(caseFile.answerHistory.first { $0.questionId == "alpha_blockers" }, name)
            XCTAssertTrue(history.changed && history.safetyCritical, name)
            XCTAssertEqual(history.events.map(\.answer), [.yesNo(true), .yesNo(false)], name)
            XCTAssertEqual(history.events.map(\.changed), [false, true], name)
            XCTAssertTrue(caseFile.consultation?.assessment?.flags.contains { $0.code == "safety_answer_changed" } ?? false, name)
            XCTAssertEqual(caseFile.earlierConsultations.map(\.consultationId), [later.id], name)

            let reads = try await store.read { tx in
                try tx.query("SELECT actor, role, certificate_thumbprint, method FROM audit_log WHERE action = 'health_data.read' AND resource = $1",
                             [.text(first.id)])
            }
            XCTAssertEqual(reads.count, 1, name)
            XCTAssertEqual(try reads.first?.string("actor"), prescriber.id, name)
            XCTAssertEqual(try reads.first?.int64("role"), Int64(Medexpress_V1_Role.prescriber.rawValue), name)
            XCTAssertEqual(try reads.first?.string("certificate_thumbprint").count, 64, name)
            XCTAssertEqual(try reads.first?.string("method"), "/medexpress.v1.PrescriberService/GetCase", name)
            let unknown = await failure { _ = try await prescriber.prescriber.getCase(.with { $0.orderId = "ord_" + String(repeating: "b", count: 26) }) }
            XCTAssertEqual(unknown?.code, .notFound, name)
            await prescriber.channel.close()
            await deployment.stop()
        }
    }

    func testRejectingReleasesThePaymentAndARetakenConsultationIsComparedWithTheRefusedOne() async throws {
        try await TestDatabases.each { store, name in
            let pki = try TestPKI()
            let deployment = try await TestDeployment.start(on: store, pki: pki)
            let customer = try await deployment.signUp("refused@example.org")
            let consultation = try await deployment.consult(customer, "erectile-dysfunction", answers: ["heart_condition": .yesNo(true)])
            let order = try await deployment.checkout(customer, consultation.id, product: "sildenafil-25mg-4")
            let prescriber = try await deployment.signInStaff("dr-jones", role: .prescriber)
            let rejected = try await prescriber.prescriber.reject(.with {
                $0.requestId = "reject-1"
                $0.orderId = order.id
                $0.reason = "Heart condition: please see your GP before using this medicine."
            })
            XCTAssertEqual(rejected.status, .rejected, name)
            let missingReason = await failure {
                _ = try await prescriber.prescriber.reject(.with {
                    $0.requestId = "reject-2"
                    $0.orderId = order.id
                })
            }
            XCTAssertEqual(missingReason?.code, .invalidArgument, name)
            let twice = await failure {
                _ = try await prescriber.prescriber.reject(.with {
                    $0.requestId = "reject-3"
                    $0.orderId = order.id
                    $0.reason = "again"
                })
            }
            XCTAssertEqual(twice?.code, .failedPrecondition, name)
            XCTAssertTrue(twice?.message.contains("REJECTED") ?? false, "\(name): \(twice?.message ?? "")")
            _ = try await deployment.outbox.dispatchDue()
            let seen = try await deployment.orders.getOrder(.with { $0.orderId = order.id }, metadata: customer.metadata)
            XCTAssertEqual(seen.paymentStatus, .released, name)

            // The customer tries again, now without the heart condition.
            let retaken = try await deployment.consult(customer, "erectile-dysfunction", answers: ["heart_condition": .yesNo(false)])
            XCTAssertTrue(retaken.assessment?.flags.contains { $0.code == "differs_from_refused_consultation" } ?? false,
                          "\(name): \(retaken.assessment?.flags.map(\.code) ?? [])")
            await prescriber.channel.close()
            await deployment.stop()
        }
    }

    func testAskingTheCustomerSomethingMakesTheOrderWaitForTheAnswer() async throws {
        try await TestDatabases.each { store, name in
            let pki = try TestPKI()
            let deployment = try await TestDeployment.start(on: store, pki: pki)
            let customer = try await deployment.signUp("asked@example.org")
            let consultation = try await deployment.consult(customer, "asthma", answers: ["reliever_uses_per_week": .number(5)])
            XCTAssertTrue(consultation.assessment?.flags.contains { $0.code == "poorly_controlled_asthma" } ?? false, name)
            let order = try await deployment.checkout(customer, consultation.id, product: "salbutamol-100mcg-200")
            let prescriber = try await deployment.signInStaff("dr-asks", role: .prescriber)
            let asked = try await prescriber.prescriber.requestInformation(.with {
                $0.requestId = "ask-1"
                $0.orderId = order.id
                $0.message = "Which preventer inhaler do you use, and how often?"
            })
            XCTAssertEqual(asked.status, .informationRequested, name)
            let queue = try await prescriber.prescriber.listReviewQueue(.init())
            XCTAssertFalse(queue.entries.contains { $0.orderId == order.id }, name)

            let waiting = try await deployment.orders.getOrder(.with { $0.orderId = order.id }, metadata: customer.metadata)
            XCTAssertEqual(waiting.messages.map(\.text), ["Which preventer inhaler do you use, and how often?"], name)
            XCTAssertEqual(waiting.messages.first?.authorRole, .prescriber, name)
            let answered = try await deployment.orders.provideInformation(.with {
                $0.requestId = "answer-1"
                $0.orderId = order.id
                $0.message = "Clenil 100, two puffs twice a day."
            }, metadata: customer.metadata)
            XCTAssertEqual(answered.status, .pendingClinicalApproval, name)
            XCTAssertEqual(answered.history.map(\.status), [.pendingClinicalApproval, .informationRequested, .pendingClinicalApproval], name)
            let caseFile = try await prescriber.prescriber.getCase(.with { $0.orderId = order.id })
            XCTAssertEqual(caseFile.messages.map(\.authorRole), [.prescriber, .customer], name)
            XCTAssertTrue(caseFile.identityCheckRequired, name)
            // Messages are health data: sealed at rest.
            let sealed = try await store.read { tx in try tx.query("SELECT text FROM order_messages WHERE order_id = $1", [.text(order.id)]) }
            for row in sealed { XCTAssertNil(String(decoding: try row.bytes("text"), as: UTF8.self).range(of: "Clenil"), name) }
            await prescriber.channel.close()
            await deployment.stop()
        }
    }

    func testAPhotoAloneIsNotAnIndependentWeightCheck() async throws {
        try await TestDatabases.each { store, name in
            let pki = try TestPKI()
            let deployment = try await TestDeployment.start(on: store, pki: pki)
            let customer = try await deployment.signUp("weighed@example.org")
            let consultation = try await deployment.consult(customer, "weight-loss", answers: ["height_cm": .number(170), "weight_kg": .number(104)])
            let order = try await deployment.checkout(customer, consultation.id, product: "mounjaro-2.5mg-kwikpen",
                                                      delivery: "royal-mail-special-delivery")
            let prescriber = try await deployment.signInStaff("dr-weighs", role: .prescriber)
            let photo = try await prescriber.prescriber.recordVerification(.with {
                $0.requestId = "v-1"
                $0.orderId = order.id
                $0.method = .photo
                $0.weightKg = 104
            })
            XCTAssertFalse(photo.independent, name)
            var entry = try await prescriber.prescriber.listReviewQueue(.init()).entries.first { $0.orderId == order.id }
            XCTAssertEqual(entry?.awaitingWeightVerification, true, name)
            XCTAssertEqual(entry?.awaitingIdentityCheck, true, name)
            let video = try await prescriber.prescriber.recordVerification(.with {
                $0.requestId = "v-2"
                $0.orderId = order.id
                $0.method = .videoConsultation
                $0.weightKg = 103.5
                $0.notes = "Weighed on camera, scale reading visible."
            })
            XCTAssertTrue(video.independent, name)
            XCTAssertEqual(video.recordedBy, prescriber.id, name)
            entry = try await prescriber.prescriber.listReviewQueue(.init()).entries.first { $0.orderId == order.id }
            XCTAssertEqual(entry?.awaitingWeightVerification, false, name)
            let absurd = await failure {
                _ = try await prescriber.prescriber.recordVerification(.with {
                    $0.requestId = "v-3"
                    $0.orderId = order.id
                    $0.method = .inPerson
                    $0.weightKg = 1000
                })
            }
            XCTAssertEqual(absurd?.code, .invalidArgument, name)
            await prescriber.channel.close()
            await deployment.stop()
        }
    }
}
