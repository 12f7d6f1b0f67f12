import Domain
import Foundation
import Generated
import MedExpress
import RPCCore
import Store
import Trust
import XCTest

/// Complaints and refunds (issue 5): a customer complains about a damaged parcel, the support team
/// asks for photos (emailed), the customer uploads them (type checked against the bytes, size
/// limited, sealed, checksummed), and the complaint is resolved once: a partial refund that reaches
/// the payment gateway exactly once although the resolution is sent twice and the outbox delivers
/// twice, a full refund of the rest, a replacement order at no charge that a prescriber must approve
/// again. Another customer reaches none of it. On SQLite and on PostgreSQL.
final class ComplaintJourneyTests: XCTestCase {
    func testADamagedParcelIsEvidencedByPhotosAndRefundedPartlyThenInFull() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store, pki: try TestPKI())
            let prescriber = try await deployment.signInStaff("dr-damage", role: .prescriber)
            let pharmacist = try await deployment.signInStaff("pharm-damage", role: .pharmacist)
            let agent = try await deployment.signInStaff("agent-damage", role: .admin)
            let support = Medexpress_V1_SupportServiceClient(channel: agent.channel)
            let (customer, order, _) = try await deployment.dispatchedOrder("damaged@example.org", prescriber: prescriber,
                                                                            pharmacist: pharmacist)
            _ = try await deployment.outbox.dispatchDue()  // the capture of the approval
            let total = try await store.read { tx in
                try tx.query("SELECT total_pence FROM orders WHERE id = $1", [.text(order)])[0].int64("total_pence")
            }
            let status1 = try await paymentStatus(store, order)
            XCTAssertEqual(status1, .captured, name)

            // An order still with the pharmacy is not complained about.
            let early = try await deployment.signUp("early@example.org")
            let earlyConsultation = try await deployment.consult(early, "erectile-dysfunction")
            let earlyOrder = try await deployment.checkout(early, earlyConsultation.id, product: "sildenafil-25mg-4").id
            let notDispatched = await failure { _ = try await deployment.support.fileComplaint(
                complaintRequest(order: earlyOrder), metadata: early.metadata) }
            XCTAssertEqual(notDispatched?.code, .failedPrecondition, name)
            XCTAssertTrue(notDispatched?.message.contains("PENDING_CLINICAL_APPROVAL") ?? false, "\(name): \(notDispatched?.message ?? "")")

            let filing = complaintRequest(order: order, requestID: "complain-1")
            let complaint = try await deployment.support.fileComplaint(filing, metadata: customer.metadata)
            XCTAssertTrue(complaint.id.hasPrefix("cmp_"), name)
            XCTAssertEqual(complaint.state, .complaintOpen, name)
            XCTAssertEqual(complaint.reason, .damaged, name)
            XCTAssertEqual(complaint.orderId, order, name)
            XCTAssertEqual(complaint.description, "The box was crushed and two tablets are broken.", name)
            let retried = try await deployment.support.fileComplaint(filing, metadata: customer.metadata)
            XCTAssertEqual(retried.id, complaint.id, "\(name): a retried filing files one complaint")
            let noReason = await failure { _ = try await deployment.support.fileComplaint(
                complaintRequest(order: order, reason: .unspecified), metadata: customer.metadata) }
            XCTAssertEqual(noReason?.code, .invalidArgument, name)
            let tooLong = await failure {
                var long = complaintRequest(order: order)
                long.description = String(repeating: "a", count: 2001)
                _ = try await deployment.support.fileComplaint(long, metadata: customer.metadata)
            }
            XCTAssertEqual(tooLong?.code, .invalidArgument, name)

            // Another customer reaches neither the order nor the complaint.
            let other = try await deployment.signUp("nosy@example.org")
            let othersFiling = await failure { _ = try await deployment.support.fileComplaint(complaintRequest(order: order),
                                                                                             metadata: other.metadata) }
            XCTAssertEqual(othersFiling?.code, .notFound, name)
            let othersUpload = await failure { _ = try await upload(deployment, other, complaint.id, "image/jpeg", jpeg(1_000)) }
            XCTAssertEqual(othersUpload?.code, .notFound, name)
            let othersList = try await deployment.support.listMyComplaints(.init(), metadata: other.metadata).complaints.isEmpty
            XCTAssertTrue(othersList, name)
            let mine = try await deployment.support.listMyComplaints(.init(), metadata: customer.metadata)
            XCTAssertEqual(mine.complaints.map(\.id), [complaint.id], name)

            // The agent asks for photos; the customer is emailed.
            let asked = try await support.requestEvidence(.with {
                $0.requestId = "evidence-1"
                $0.complaintId = complaint.id
                $0.message = "Please photograph the outer box and the blister pack."
            })
            XCTAssertEqual(asked.state, .evidenceRequested, name)
            XCTAssertEqual(asked.evidenceRequest, "Please photograph the outer box and the blister pack.", name)
            _ = try await deployment.outbox.dispatchDue()
            let emails = deployment.emails.messages("ticket-reply", about: complaint.id)
            XCTAssertEqual(emails.count, 1, name)
            XCTAssertEqual(emails.first?.to.address, "damaged@example.org", name)
            XCTAssertTrue(emails.first?.body.contains("outer box") ?? false, "\(name): \(emails.first?.body ?? "")")

            // Two photos, checksums as uploaded.
            let box = jpeg(300_000)
            let blister = png(120_000)
            let first = try await upload(deployment, customer, complaint.id, "image/jpeg", box, requestID: "photo-1")
            let second = try await upload(deployment, customer, complaint.id, "image/png", blister, requestID: "photo-2")
            XCTAssertEqual(first.sha256, Hex.encode(Digest.sha256(box)), name)
            XCTAssertEqual(second.sha256, Hex.encode(Digest.sha256(blister)), name)
            XCTAssertEqual(first.sizeBytes, Int64(box.count), name)
            XCTAssertEqual(second.contentType, "image/png", name)
            let again = try await upload(deployment, customer, complaint.id, "image/jpeg", box, requestID: "photo-1")
            XCTAssertEqual(again.evidenceId, first.evidenceId, "\(name): a retried upload stores one photo")
            let mislabelled = await failure { _ = try await upload(deployment, customer, complaint.id, "image/jpeg", png(1_000)) }
            XCTAssertEqual(mislabelled?.code, .invalidArgument, name)
            let gif = await failure { _ = try await upload(deployment, customer, complaint.id, "image/gif", jpeg(1_000)) }
            XCTAssertEqual(gif?.code, .invalidArgument, name)
            let oversize = await failure {
                _ = try await upload(deployment, customer, complaint.id, "image/jpeg", jpeg(10 * 1024 * 1024 + 1))
            }
            XCTAssertEqual(oversize?.code, .invalidArgument, name)

            let read = try await support.getComplaint(.with { $0.complaintId = complaint.id })
            XCTAssertEqual(read.state, .complaintOpen, "\(name): the photos arrived, so it is back with the team")
            XCTAssertEqual(read.evidence.map(\.content), [box, blister], name)
            XCTAssertEqual(read.evidence.map(\.sha256), [first.sha256, second.sha256], name)
            let listed = try await support.listComplaints(.with { $0.states = [.complaintOpen] })
            XCTAssertEqual(listed.complaints.map(\.id), [complaint.id], name)
            XCTAssertTrue(listed.complaints[0].evidence.allSatisfy { $0.content.isEmpty }, name)

            // A partial refund, asked twice and delivered twice, reaches the gateway once.
            let partial = Medexpress_V1_ResolveComplaintRequest.with {
                $0.requestId = "resolve-1"
                $0.complaintId = complaint.id
                $0.outcome = .partialRefund
                $0.refund = .with { $0.minorUnits = 500; $0.currency = "GBP" }
                $0.note = "Two tablets broken: refunded their share."
            }
            let tooMuch = await failure { _ = try await support.resolveComplaint(.with {
                $0 = partial
                $0.requestId = "resolve-too-much"
                $0.refund = .with { $0.minorUnits = total + 1; $0.currency = "GBP" }
            }) }
            XCTAssertEqual(tooMuch?.code, .invalidArgument, name)
            let noNote = await failure { _ = try await support.resolveComplaint(.with { $0 = partial; $0.requestId = "resolve-no-note"; $0.note = "" }) }
            XCTAssertEqual(noNote?.code, .invalidArgument, name)
            let resolved = try await support.resolveComplaint(partial)
            let resolvedAgain = try await support.resolveComplaint(partial)
            XCTAssertEqual(resolved.state, .complaintResolved, name)
            XCTAssertEqual(resolved.outcome, .partialRefund, name)
            XCTAssertEqual(resolved.refund?.minorUnits, 500, name)
            XCTAssertEqual(resolvedAgain, resolved, name)
            _ = try await deployment.outbox.dispatchDue()
            _ = try await deployment.outbox.dispatchDue()
            let refunds = deployment.payments.calls.filter { if case .refund = $0 { true } else { false } }
            XCTAssertEqual(refunds.count, 1, name)
            if case .refund(_, let amount)? = refunds.first { XCTAssertEqual(amount, Pence(500), name) }
            let status2 = try await paymentStatus(store, order)
            XCTAssertEqual(status2, .partiallyRefunded, name)
            let twice = await failure { _ = try await support.resolveComplaint(.with { $0 = partial; $0.requestId = "resolve-2" }) }
            XCTAssertEqual(twice?.code, .failedPrecondition, name)
            XCTAssertTrue(twice?.message.contains("COMPLAINT_RESOLVED") ?? false, "\(name): \(twice?.message ?? "")")
            let lateUpload = await failure { _ = try await upload(deployment, customer, complaint.id, "image/jpeg", jpeg(1_000)) }
            XCTAssertEqual(lateUpload?.code, .failedPrecondition, name)

            // A second complaint about the order: the rest is refunded.
            let wrong = try await deployment.support.fileComplaint(complaintRequest(order: order, reason: .wrongItem),
                                                                   metadata: customer.metadata)
            let full = try await support.resolveComplaint(.with {
                $0.requestId = "resolve-3"
                $0.complaintId = wrong.id
                $0.outcome = .fullRefund
                $0.note = "Wrong strength sent: the rest refunded."
            })
            XCTAssertEqual(full.refund?.minorUnits, total - 500, name)
            _ = try await deployment.outbox.dispatchDue()
            let allRefunds = deployment.payments.calls.compactMap { call -> Pence? in
                if case .refund(_, let amount) = call { amount } else { nil }
            }
            XCTAssertEqual(allRefunds, [Pence(500), Pence(total - 500)], name)
            let status3 = try await paymentStatus(store, order)
            XCTAssertEqual(status3, .refunded, name)
            let nothingLeft = try await deployment.support.fileComplaint(complaintRequest(order: order, reason: .late),
                                                                         metadata: customer.metadata)
            let refused = await failure { _ = try await support.resolveComplaint(.with {
                $0.requestId = "resolve-4"
                $0.complaintId = nothingLeft.id
                $0.outcome = .fullRefund
                $0.note = "Again?"
            }) }
            XCTAssertEqual(refused?.code, .failedPrecondition, name)

            // Audited against the order; the complaint's text and photos sealed at rest.
            let actions = try await store.read { tx in
                try tx.query("SELECT action, detail FROM audit_log WHERE resource = $1 ORDER BY seq", [.text(order)])
                    .map { (try $0.string("action"), try $0.string("detail")) }
            }
            for action in ["complaint.filed", "complaint.evidence_requested", "complaint.evidence_uploaded", "complaint.resolved",
                           "health_data.read", "payment.refunded"] {
                XCTAssertTrue(actions.contains { $0.0 == action }, "\(name): \(action) in \(actions.map(\.0))")
            }
            XCTAssertTrue(actions.contains { $0.0 == "complaint.resolved" && $0.1.contains(complaint.id) }, name)
            XCTAssertEqual(actions.filter { $0.0 == "payment.refunded" }.count, 2, name)
            let sealed = try await store.read { tx in
                try tx.query("SELECT description FROM complaints").map { try $0.bytes("description") }
                    + tx.query("SELECT content FROM complaint_evidence").map { try $0.bytes("content") }
            }
            for bytes in sealed {
                XCTAssertFalse(String(decoding: bytes, as: UTF8.self).contains("crushed"), name)
                XCTAssertFalse(bytes.starts(with: [0xFF, 0xD8, 0xFF]) || bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]), name)
            }
            await deployment.stop()
        }
    }

    func testAReplacementIsANewOrderAtNoChargeWaitingForAPrescriber() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store, pki: try TestPKI())
            let prescriber = try await deployment.signInStaff("dr-replace", role: .prescriber)
            let pharmacist = try await deployment.signInStaff("pharm-replace", role: .pharmacist)
            let agent = try await deployment.signInStaff("agent-replace", role: .admin)
            let support = Medexpress_V1_SupportServiceClient(channel: agent.channel)
            let (customer, order, _) = try await deployment.dispatchedOrder("replace@example.org", prescriber: prescriber,
                                                                            pharmacist: pharmacist)
            _ = try await deployment.outbox.dispatchDue()
            let complaint = try await deployment.support.fileComplaint(complaintRequest(order: order, reason: .tamperedPackaging),
                                                                       metadata: customer.metadata)
            // Ten photos a complaint, the most; HEIC taken by its ftyp brand.
            let heic: [UInt8] = [0, 0, 0, 24] + Array("ftypheic".utf8) + filler(2_000)
            _ = try await upload(deployment, customer, complaint.id, "image/heic", heic)
            for _ in 2...10 { _ = try await upload(deployment, customer, complaint.id, "image/jpeg", jpeg(500)) }
            let eleventh = await failure { _ = try await upload(deployment, customer, complaint.id, "image/jpeg", jpeg(500)) }
            XCTAssertEqual(eleventh?.code, .failedPrecondition, name)
            let notHEIC = await failure { _ = try await upload(deployment, customer, complaint.id, "image/heic", jpeg(500)) }
            XCTAssertEqual(notHEIC?.code, .invalidArgument, name)

            let noNote = await failure { _ = try await support.resolveComplaint(.with {
                $0.requestId = "replace-no-note"
                $0.complaintId = complaint.id
                $0.outcome = .noAction
            }) }
            XCTAssertEqual(noNote?.code, .invalidArgument, name)
            let callsBefore = deployment.payments.calls.count
            let resolved = try await support.resolveComplaint(.with {
                $0.requestId = "replace-1"
                $0.complaintId = complaint.id
                $0.outcome = .replacement
                $0.note = "The seal was broken: a fresh supply, prescribed again."
            })
            XCTAssertEqual(resolved.outcome, .replacement, name)
            XCTAssertTrue(resolved.replacementOrderId.hasPrefix("ord_"), name)
            XCTAssertNotEqual(resolved.replacementOrderId, order, name)

            let replacement = try await deployment.orders.getOrder(.with { $0.orderId = resolved.replacementOrderId },
                                                                    metadata: customer.metadata)
            XCTAssertEqual(replacement.status, .pendingClinicalApproval, name)
            XCTAssertEqual(replacement.paymentStatus, .unspecified, name)
            XCTAssertEqual(replacement.price?.total?.minorUnits ?? -1, 0, name)
            let original = try await deployment.orders.getOrder(.with { $0.orderId = order }, metadata: customer.metadata)
            XCTAssertEqual(replacement.item?.productId, original.item?.productId, name)
            XCTAssertEqual(replacement.deliveryOptionId, original.deliveryOptionId, name)
            let stored = try await store.read { tx in
                try tx.query("SELECT total_pence, payment_id, replaces_order_id, delivery_option_id FROM orders WHERE id = $1",
                             [.text(resolved.replacementOrderId)])[0]
            }
            XCTAssertEqual(try stored.int64("total_pence"), 0, name)
            XCTAssertEqual(try stored.string("payment_id"), "", name)
            XCTAssertEqual(try stored.optionalString("replaces_order_id"), order, name)

            // Approving it takes no payment: the gateway is never asked.
            _ = try await pharmacist.pharmacy.receiveStock(.with {
                $0.requestId = TestDeployment.requestID()
                $0.productId = "sildenafil-25mg-4"
                $0.quantity = 1
                $0.reference = "replacement stock"
            })
            _ = try await prescriber.prescriber.approve(.with { $0.requestId = "approve-replacement"; $0.orderId = resolved.replacementOrderId })
            _ = try await deployment.outbox.dispatchDue()
            XCTAssertEqual(deployment.payments.calls.count, callsBefore, "\(name): \(deployment.payments.calls)")
            let approved = try await deployment.orders.getOrder(.with { $0.orderId = resolved.replacementOrderId },
                                                                metadata: customer.metadata)
            XCTAssertEqual(approved.status, .approved, name)

            // Another customer cannot see the complaint or the replacement.
            let other = try await deployment.signUp("stranger@example.org")
            let notTheirs = await failure { _ = try await deployment.orders.getOrder(.with { $0.orderId = resolved.replacementOrderId },
                                                                                     metadata: other.metadata) }
            XCTAssertEqual(notTheirs?.code, .notFound, name)
            await deployment.stop()
        }
    }

    private func paymentStatus(_ store: any StoreEngine, _ order: String) async throws -> Medexpress_V1_PaymentStatus {
        let raw = try await store.read { tx in
            try tx.query("SELECT payment_status FROM orders WHERE id = $1", [.text(order)])[0].int64("payment_status")
        }
        return Medexpress_V1_PaymentStatus(rawValue: Int32(raw))
    }

    private func complaintRequest(order: String, reason: Medexpress_V1_ComplaintReason = .damaged,
                                  requestID: String = TestDeployment.requestID()) -> Medexpress_V1_FileComplaintRequest {
        .with {
            $0.requestId = requestID
            $0.orderId = order
            $0.reason = reason
            $0.description = "The box was crushed and two tablets are broken."
        }
    }

    /// Sends `bytes` as one photo in chunks of 1 MiB, the first naming the complaint and type.
    private func upload(_ deployment: TestDeployment, _ customer: TestCustomer, _ complaintID: String, _ contentType: String,
                        _ bytes: [UInt8], requestID: String = TestDeployment.requestID()) async throws -> Medexpress_V1_Evidence {
        let call = try await deployment.support.uploadEvidence(metadata: customer.metadata)
        let chunkSize = 1024 * 1024
        var offset = 0
        repeat {
            let end = min(offset + chunkSize, bytes.count)
            let data = Array(bytes[offset..<end])
            try await call.send(.with {
                if offset == 0 {
                    $0.requestId = requestID
                    $0.complaintId = complaintID
                    $0.contentType = contentType
                }
                $0.data = data
            })
            offset = end
        } while offset < bytes.count
        return try await call.finish().message
    }

    private func jpeg(_ count: Int) -> [UInt8] { [0xFF, 0xD8, 0xFF, 0xE0] + filler(count - 4) }
    private func png(_ count: Int) -> [UInt8] { [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + filler(count - 8) }
    private func filler(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) } }
}
