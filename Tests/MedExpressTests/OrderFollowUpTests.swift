import Domain
import Foundation
import Generated
import MedExpress
import RPCCore
import Store
import XCTest

/// After checkout (user journeys: the customer follows the order to their door and rates it;
/// orders left waiting are cancelled and released), on SQLite and on PostgreSQL.
final class OrderFollowUpTests: XCTestCase {
    func testTheCustomerWatchesTheOrderThroughEveryStatusToTheirDoor() async throws {
        try await TestDatabases.each { store, name in
            let pki = try TestPKI()
            let deployment = try await TestDeployment.start(on: store, pki: pki)
            let prescriber = try await deployment.signInStaff("dr-watch", role: .prescriber)
            let pharmacist = try await deployment.signInStaff("phoebe", role: .pharmacist)
            let courierChannel = try await deployment.connectServiceAccount("royal-mail", role: .courier)
            let courier = Medexpress_V1_CourierServiceClient(channel: courierChannel)
            let customer = try await deployment.signUp("watcher@example.org")
            let consultation = try await deployment.consult(customer, "erectile-dysfunction")
            let order = try await deployment.checkout(customer, consultation.id, product: "sildenafil-25mg-4")
            let watch = try await deployment.orders.watchOrder(.with { $0.orderId = order.id }, metadata: customer.metadata)
            let watcher = Task {
                var seen: [Medexpress_V1_OrderUpdate] = []
                for try await update in watch { seen.append(update) }
                return seen
            }
            _ = try await pharmacist.pharmacy.receiveStock(.with {
                $0.requestId = "stock"
                $0.productId = "sildenafil-25mg-4"
                $0.quantity = 2
                $0.reference = "delivery"
            })
            let approved = try await prescriber.prescriber.approve(.with { $0.requestId = "approve"; $0.orderId = order.id })
            _ = try await deployment.outbox.dispatchDue()
            _ = try await pharmacist.pharmacy.startDispensing(.with { $0.requestId = "start"; $0.orderId = order.id })
            _ = try await pharmacist.pharmacy.verifyItem(.with {
                $0.requestId = "scan"
                $0.orderId = order.id
                $0.scannedGtin = approved.prescription?.prescription?.gtin ?? ""
            })
            _ = try await pharmacist.pharmacy.completeDispensing(.with { $0.requestId = "complete"; $0.orderId = order.id })
            let shipment = try await pharmacist.pharmacy.createShipment(.with { $0.requestId = "ship"; $0.orderId = order.id })
            let now = Int64(Date().timeIntervalSince1970)
            for (code, minutesAgo) in [("EVOAC", 30), ("EVGPD", 20), ("EVKSF", 10)] {
                _ = try await courier.recordTrackingEvent(.with {
                    $0.trackingNumber = shipment.trackingNumber
                    $0.eventCode = code
                    $0.occurredAt = .with { $0.seconds = now - Int64(minutesAgo) * 60 }
                })
            }
            // The stream ends by itself once the order is delivered.
            let updates = try await watcher.value
            XCTAssertEqual(updates.first?.fromSnapshot, true, name)
            let statuses = updates.compactMap { $0.change?.status }
            XCTAssertEqual(statuses, [.pendingClinicalApproval, .approved, .dispensing, .dispatched, .inTransit, .outForDelivery, .delivered], name)
            XCTAssertTrue(updates.contains { $0.order?.paymentStatus == .captured }, name)
            let dispatched = updates.last?.order
            XCTAssertEqual(dispatched?.trackingNumber, shipment.trackingNumber, name)
            XCTAssertTrue(dispatched?.trackingUrl.contains("royalmail.com") ?? false, name)
            XCTAssertNotNil(dispatched?.estimatedDelivery, name)

            // The emails of each step left through the outbox, after their changes committed.
            _ = try await deployment.outbox.dispatchDue()
            let emails = deployment.emails
            for kind in ["confirmation", "approved", "dispatched", "delivered"] {
                let sent = emails.messages(kind, about: order.id)
                XCTAssertEqual(sent.count, 1, "\(name): \(kind)")
                XCTAssertEqual(sent.first?.to.address, "watcher@example.org", "\(name): \(kind)")
                // Discreet: no medicine named in any subject line.
                XCTAssertNil(sent.first?.subject.range(of: "ildenafil"), "\(name): \(kind)")
            }
            let dispatchEmail = emails.messages("dispatched", about: order.id).first?.body ?? ""
            XCTAssertTrue(dispatchEmail.contains(shipment.trackingNumber), "\(name): \(dispatchEmail)")
            XCTAssertTrue(dispatchEmail.contains("https://www.royalmail.com/track-your-item#/tracking-results/\(shipment.trackingNumber)"), name)
            XCTAssertTrue(emails.messages("confirmation", about: order.id).first?.body.contains("£") ?? false, name)
            // The patient consented (gp_consent), so their GP is told, naming the practice they gave.
            let letter = emails.messages("gp-letter", about: order.id)
            XCTAssertEqual(letter.count, 1, name)
            XCTAssertEqual(letter.first?.to.address, "gp-letters@medexpress.example", name)
            XCTAssertTrue(letter.first?.body.contains("Example Surgery") ?? false, name)
            XCTAssertTrue(letter.first?.body.contains("GMC 7654321") ?? false, "\(name): \(letter.first?.body ?? "")")

            // Feedback once delivered, once per order.
            let feedback = try await deployment.orders.submitFeedback(.with {
                $0.requestId = "fb-1"
                $0.orderId = order.id
                $0.rating = 5
                $0.comment = "Arrived the next morning, plain packaging."
            }, metadata: customer.metadata)
            XCTAssertEqual(feedback.rating, 5, name)
            let twice = await failure {
                _ = try await deployment.orders.submitFeedback(.with {
                    $0.requestId = "fb-2"
                    $0.orderId = order.id
                    $0.rating = 1
                }, metadata: customer.metadata)
            }
            XCTAssertEqual(twice?.code, .alreadyExists, name)
            for channel in [prescriber.channel, pharmacist.channel, courierChannel] { await channel.close() }
            await deployment.stop()
        }
    }

    func testFeedbackWaitsForDeliveryAndRatingsAreOneToFive() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            let customer = try await deployment.signUp("early@example.org")
            let consultation = try await deployment.consult(customer, "erectile-dysfunction")
            let order = try await deployment.checkout(customer, consultation.id, product: "sildenafil-25mg-4")
            let early = await failure {
                _ = try await deployment.orders.submitFeedback(.with { $0.requestId = "f"; $0.orderId = order.id; $0.rating = 4 },
                                                               metadata: customer.metadata)
            }
            XCTAssertEqual(early?.code, .failedPrecondition, name)
            let zero = await failure {
                _ = try await deployment.orders.submitFeedback(.with { $0.requestId = "g"; $0.orderId = order.id; $0.rating = 0 },
                                                               metadata: customer.metadata)
            }
            XCTAssertEqual(zero?.code, .invalidArgument, name)
            await deployment.stop()
        }
    }

    func testOrdersWaitingForAnAnswerOrAnIDCheckAreCancelledAfterTheirLimit() async throws {
        try await TestDatabases.each { store, name in
            let pki = try TestPKI()
            let deployment = try await TestDeployment.start(on: store, pki: pki)
            let expiry = OrderExpiry(journey: deployment.journey, outbox: deployment.outbox)
            let prescriber = try await deployment.signInStaff("dr-waits", role: .prescriber)
            let asker = try await deployment.signUp("silent@example.org")
            let asthma = try await deployment.consult(asker, "asthma")
            let asked = try await deployment.checkout(asker, asthma.id, product: "salbutamol-100mcg-200")
            _ = try await prescriber.prescriber.requestInformation(.with {
                $0.requestId = "ask"
                $0.orderId = asked.id
                $0.message = "How often do you use your reliever at night?"
            })
            let unverified = try await deployment.signUp("noid@example.org")
            let weightLoss = try await deployment.consult(unverified, "weight-loss", answers: ["height_cm": .number(170), "weight_kg": .number(104)])
            let waiting = try await deployment.checkout(unverified, weightLoss.id, product: "mounjaro-2.5mg-kwikpen",
                                                        delivery: "royal-mail-special-delivery")

            deployment.clock.advance(days: 6)
            let afterSix = try await expiry.cancelOverdue()
            XCTAssertEqual(afterSix, 0, name)
            deployment.clock.advance(days: 2)
            let afterEight = try await expiry.cancelOverdue()
            XCTAssertEqual(afterEight, 1, "\(name): the asthma question went unanswered for 8 days")
            deployment.clock.advance(days: 7)
            let afterFifteen = try await expiry.cancelOverdue()
            XCTAssertEqual(afterFifteen, 1, "\(name): the weight-loss ID check, 15 days")
            let first = try await deployment.orders.getOrder(.with { $0.orderId = asked.id }, metadata: asker.metadata)
            let second = try await deployment.orders.getOrder(.with { $0.orderId = waiting.id }, metadata: unverified.metadata)
            XCTAssertEqual([first.status, second.status], [.cancelled, .cancelled], name)
            XCTAssertTrue(second.history.last?.reason.contains("identity") ?? false, name)
            _ = try await deployment.outbox.dispatchDue()
            XCTAssertEqual(deployment.emails.messages("cancelled", about: asked.id).count, 1, name)
            XCTAssertEqual(deployment.emails.messages("cancelled", about: waiting.id).count, 1, name)
            let releases = deployment.payments.calls.filter { if case .release = $0 { true } else { false } }
            XCTAssertEqual(releases.count, 2, name)
            await prescriber.channel.close()
            await deployment.stop()
        }
    }
}
