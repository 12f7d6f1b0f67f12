import Domain
import Foundation
import Generated
import MedExpress
import RPCCore
import Store
import XCTest

/// From approval to the courier (user journeys: the prescriber issues a signed prescription, the
/// pharmacy receives it, checks it, dispenses against the barcode, writes the POM register and
/// books the courier), over mTLS with real staff credentials, on SQLite and on PostgreSQL.
final class PharmacyJourneyTests: XCTestCase {
    func testAnApprovedOrderIsSignedReceivedDispensedAndDispatched() async throws {
        try await TestDatabases.each { store, name in
            let pki = try TestPKI()
            let deployment = try await TestDeployment.start(on: store, pki: pki)
            let customer = try await deployment.signUp("journey@example.org")
            let consultation = try await deployment.consult(customer, "erectile-dysfunction")
            let order = try await deployment.checkout(customer, consultation.id, product: "sildenafil-25mg-4")
            let prescriber = try await deployment.signInStaff("dr-signs", role: .prescriber)
            let pharmacist = try await deployment.signInStaff("phil", role: .pharmacist)

            // No stock yet: approving would promise what the pharmacy cannot supply.
            let approve = Medexpress_V1_ApproveRequest.with {
                $0.requestId = "approve-1"
                $0.orderId = order.id
            }
            let empty = await failure { _ = try await prescriber.prescriber.approve(approve) }
            XCTAssertEqual(empty?.code, .failedPrecondition, name)
            XCTAssertTrue(empty?.message.contains("out of stock") ?? false, "\(name): \(empty?.message ?? "")")
            // The refused approval rolled back, and with it the email it would have queued.
            _ = try await deployment.outbox.dispatchDue()
            XCTAssertEqual(deployment.emails.messages("approved", about: order.id).count, 0, name)
            XCTAssertEqual(deployment.emails.messages("confirmation", about: order.id).count, 1, name)
            let received = try await pharmacist.pharmacy.receiveStock(.with {
                $0.requestId = "delivery-1"
                $0.productId = "sildenafil-25mg-4"
                $0.quantity = 3
                $0.reference = "AAH invoice 4411"
            })
            XCTAssertEqual(received.available, 3, name)

            // The pharmacy's stream is open before the approval and receives it live.
            let stream = try await pharmacist.pharmacy.streamPrescriptions(.init())
            var events = stream.makeAsyncIterator()
            let approved = try await prescriber.prescriber.approve(approve)
            XCTAssertEqual(approved.order?.status, .approved, name)
            let live = try await events.next()
            stream.cancel()
            XCTAssertEqual(live?.fromSnapshot, false, name)
            let signed = try XCTUnwrap(live?.prescription, name)
            XCTAssertTrue(signed.signatureVerified, name)
            XCTAssertEqual(signed.prescription?.orderId, order.id, name)
            XCTAssertEqual(signed.prescription?.registeringBody, "GMC", name)
            XCTAssertEqual(signed.prescription?.registrationNumber, "7654321", name)
            XCTAssertEqual(signed.prescription?.patientName, "Ada Lovelace-Pharmacy", name)
            XCTAssertEqual(signed.prescription?.quantity, 4, name)
            XCTAssertEqual(signed.signature, approved.prescription?.signature, name)
            try verifyWithOpenSSL(signed, name: name)

            // The payment is taken once the approval has committed.
            _ = try await deployment.outbox.dispatchDue()
            let captured = deployment.payments.calls.filter { if case .capture = $0 { true } else { false } }
            XCTAssertEqual(captured.count, 1, name)
            let paid = try await deployment.orders.getOrder(.with { $0.orderId = order.id }, metadata: customer.metadata)
            XCTAssertEqual(paid.paymentStatus, .captured, name)

            var stock = try await pharmacist.pharmacy.listInventory(.init()).items.first { $0.productId == "sildenafil-25mg-4" }
            XCTAssertEqual([stock?.onHand, stock?.reserved, stock?.available], [3, 1, 2], name)
            let started = try await pharmacist.pharmacy.startDispensing(.with {
                $0.requestId = "start-1"
                $0.orderId = order.id
            })
            XCTAssertEqual(started.status, .dispensing, name)
            XCTAssertEqual([started.itemsRequired, started.itemsVerified], [1, 0], name)
            stock = try await pharmacist.pharmacy.listInventory(.init()).items.first { $0.productId == "sildenafil-25mg-4" }
            XCTAssertEqual([stock?.onHand, stock?.reserved], [2, 0], name)

            let tadalafil = try XCTUnwrap(deployment.catalogProduct("tadalafil-10mg-4")?.gtin, name)
            let wrong = try await pharmacist.pharmacy.verifyItem(.with {
                $0.requestId = "scan-1"
                $0.orderId = order.id
                $0.scannedGtin = tadalafil
            })
            XCTAssertFalse(wrong.matches, name)
            XCTAssertTrue(wrong.reason.contains("Tadalafil"), "\(name): \(wrong.reason)")
            let early = await failure {
                _ = try await pharmacist.pharmacy.completeDispensing(.with {
                    $0.requestId = "complete-0"
                    $0.orderId = order.id
                })
            }
            XCTAssertEqual(early?.code, .failedPrecondition, name)
            let right = try await pharmacist.pharmacy.verifyItem(.with {
                $0.requestId = "scan-2"
                $0.orderId = order.id
                $0.scannedGtin = signed.prescription?.gtin ?? ""
            })
            XCTAssertTrue(right.matches, name)
            let complete = try await pharmacist.pharmacy.completeDispensing(.with {
                $0.requestId = "complete-1"
                $0.orderId = order.id
            })
            let entry = try XCTUnwrap(complete.registerEntry, name)
            XCTAssertEqual(entry.patientName, "Ada Lovelace-Pharmacy", name)
            XCTAssertEqual(entry.prescriptionId, signed.prescription?.id, name)
            XCTAssertEqual(entry.suppliedBy, pharmacist.id, name)
            XCTAssertEqual((entry.keepUntil?.year ?? 0) - (entry.supplyDate?.year ?? 0), 2, name)

            let shipment = try await pharmacist.pharmacy.createShipment(.with {
                $0.requestId = "ship-1"
                $0.orderId = order.id
            })
            XCTAssertEqual(shipment.orderStatus, .dispatched, name)
            XCTAssertTrue(TrackingNumber.isValid(shipment.trackingNumber), "\(name): \(shipment.trackingNumber)")
            XCTAssertTrue(shipment.trackingUrl.hasSuffix(shipment.trackingNumber), name)
            XCTAssertEqual(Array(shipment.labelPdf.prefix(4)), Array("%PDF".utf8), name)
            XCTAssertEqual(shipment.serviceCode, "CRL1", name)
            let again = try await pharmacist.pharmacy.createShipment(.with {
                $0.requestId = "ship-2"
                $0.orderId = order.id
            })
            XCTAssertEqual(again.trackingNumber, shipment.trackingNumber, name)

            // A changed prescription no longer verifies.
            _ = try await store.write { tx in
                try tx.execute("UPDATE prescriptions SET signature = $1 WHERE order_id = $2",
                               [.blob(Array(repeating: 7, count: 64)), .text(order.id)])
            }
            let tampered = try await pharmacist.pharmacy.getPrescription(.with { $0.id = signed.prescription?.id ?? "" })
            XCTAssertFalse(tampered.signatureVerified, name)
            let reads = try await store.read { tx in
                try tx.query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'health_data.read' AND actor = $1", [.text(pharmacist.id)])
                    .first?.int64("n")
            }
            XCTAssertEqual(reads, 2, "\(name): the streamed prescription and the read of the tampered one")
            await prescriber.channel.close()
            await pharmacist.channel.close()
            await deployment.stop()
        }
    }

    func testWeightLossNeedsAVerifiedIdentityAndAnIndependentWeightCheckBeforeApproval() async throws {
        try await TestDatabases.each { store, name in
            let pki = try TestPKI()
            let deployment = try await TestDeployment.start(on: store, pki: pki)
            let customer = try await deployment.signUp("glp1@example.org")
            let consultation = try await deployment.consult(customer, "weight-loss", answers: ["height_cm": .number(165), "weight_kg": .number(98)])
            let order = try await deployment.checkout(customer, consultation.id, product: "wegovy-0.25mg-flextouch",
                                                      delivery: "royal-mail-special-delivery")
            let prescriber = try await deployment.signInStaff("dr-glp", role: .prescriber)
            let admin = try await deployment.signInStaff("amy", role: .admin)
            let pharmacist = try await deployment.signInStaff("pam", role: .pharmacist)
            _ = try await pharmacist.pharmacy.receiveStock(.with {
                $0.requestId = "d-1"
                $0.productId = "wegovy-0.25mg-flextouch"
                $0.quantity = 1
                $0.reference = "Alliance 77"
            })
            func approve(_ id: String) async -> Status? {
                await failure { _ = try await prescriber.prescriber.approve(.with { $0.requestId = id; $0.orderId = order.id }) }
            }
            let noID = await approve("a-1")
            XCTAssertEqual(noID?.code, .failedPrecondition, name)
            XCTAssertTrue(noID?.message.contains("identity") ?? false, "\(name): \(noID?.message ?? "")")
            _ = try await admin.auth.verifyCustomerIdentity(.with {
                $0.requestId = "id-1"
                $0.customerId = customer.id
                $0.outcome = .verified
                $0.method = "passport"
            })
            let noWeight = await approve("a-2")
            XCTAssertTrue(noWeight?.message.contains("weight") ?? false, "\(name): \(noWeight?.message ?? "")")
            _ = try await prescriber.prescriber.recordVerification(.with {
                $0.requestId = "v-1"
                $0.orderId = order.id
                $0.method = .gpRecords
                $0.weightKg = 97
            })
            let approved = try await prescriber.prescriber.approve(.with { $0.requestId = "a-3"; $0.orderId = order.id })
            XCTAssertEqual(approved.order?.status, .approved, name)
            XCTAssertEqual(approved.prescription?.prescription?.refrigerated, true, name)
            // The last pen is reserved: the next approval of the same pen would oversell.
            let stock = try await pharmacist.pharmacy.listInventory(.init()).items.first { $0.productId == "wegovy-0.25mg-flextouch" }
            XCTAssertEqual(stock?.available, 0, name)
            XCTAssertEqual(stock?.low, true, name)
            for staff in [prescriber, admin, pharmacist] { await staff.channel.close() }
            await deployment.stop()
        }
    }

    /// Checks the signature with OpenSSL's command-line tool, from the PEM public key alone.
    private func verifyWithOpenSSL(_ signed: Medexpress_V1_SignedPrescription, name: String) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(signed.publicKeyPem.utf8).write(to: directory.appendingPathComponent("key.pem"))
        try Data(signed.canonicalEncoding).write(to: directory.appendingPathComponent("rx.bin"))
        try Data(signed.signature).write(to: directory.appendingPathComponent("rx.sig"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", directory.appendingPathComponent("key.pem").path,
                             "-rawin", "-in", directory.appendingPathComponent("rx.bin").path,
                             "-sigfile", directory.appendingPathComponent("rx.sig").path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 0, "\(name): \(text)")
        XCTAssertTrue(text.contains("Signature Verified Successfully"), "\(name): \(text)")
    }
}

extension TestDeployment {
    func catalogProduct(_ id: String) -> Domain.Product? {
        (try? Catalog.embedded())?.product(ProductID(id))?.product
    }
}

/// Low stock (user journeys: real-time stock updates prevent overselling, with alerts for low stock).
final class StockAlertTests: XCTestCase {
    func testThePharmacyIsAlertedWhenAnApprovalTakesAProductToItsThreshold() async throws {
        try await TestDatabases.each { store, name in
            let pki = try TestPKI()
            let deployment = try await TestDeployment.start(on: store, pki: pki)
            let prescriber = try await deployment.signInStaff("dr-stock", role: .prescriber)
            let pharmacySystem = try await deployment.connectServiceAccount("pms", role: .pharmacySystem)
            let pharmacy = Medexpress_V1_PharmacyServiceClient(channel: pharmacySystem)
            _ = try await pharmacy.receiveStock(.with {
                $0.requestId = "in"
                $0.productId = "tadalafil-10mg-8"
                $0.quantity = 3
                $0.reference = "Phoenix 1201"
            })
            let adjusted = try await pharmacy.adjustStock(.with {
                $0.requestId = "threshold"
                $0.productId = "tadalafil-10mg-8"
                $0.lowStockThreshold = 2
                $0.reason = "reorder level"
            })
            XCTAssertEqual([adjusted.available, adjusted.lowStockThreshold], [3, 2], name)
            XCTAssertFalse(adjusted.low, name)
            let below = await failure {
                _ = try await pharmacy.adjustStock(.with {
                    $0.requestId = "broken"
                    $0.productId = "tadalafil-10mg-8"
                    $0.change = -4
                    $0.reason = "breakage"
                })
            }
            XCTAssertEqual(below?.code, .failedPrecondition, "\(name): stock never goes negative")

            let alerts = try await pharmacy.streamStockAlerts(.init())
            let watcher = Task { () -> Medexpress_V1_StockAlert? in
                for try await alert in alerts where !alert.fromSnapshot { return alert }
                return nil
            }
            let customer = try await deployment.signUp("stock@example.org")
            let consultation = try await deployment.consult(customer, "erectile-dysfunction")
            let order = try await deployment.checkout(customer, consultation.id, product: "tadalafil-10mg-8")
            _ = try await prescriber.prescriber.approve(.with { $0.requestId = "a"; $0.orderId = order.id })
            let alert = try await watcher.value
            alerts.cancel()
            XCTAssertEqual(alert?.item?.productId, "tadalafil-10mg-8", name)
            XCTAssertEqual(alert?.item?.available, 2, name)
            XCTAssertEqual(alert?.item?.low, true, name)
            await pharmacySystem.close()
            await prescriber.channel.close()
            await deployment.stop()
        }
    }
}
