import Domain
import Foundation
import Generated
import MedExpress
import RPCCore
import Store
import XCTest

/// Reporting and compliance (user journeys: reports on order volumes, delivery performance and
/// customer feedback; anonymised data for the CQC and the GPhC), against a hand-worked fixture,
/// on SQLite and on PostgreSQL.
final class ReportTests: XCTestCase {
    func testTheReportsFiguresMatchAHandWorkedFixtureAndTheExportNamesNobody() async throws {
        try await TestDatabases.each { store, name in
            let pki = try TestPKI()
            let deployment = try await TestDeployment.start(on: store, pki: pki)
            let start = deployment.clock.now()
            let admin = try await deployment.signInStaff("reports", role: .admin)
            let prescriber = try await deployment.signInStaff("dr-report", role: .prescriber)
            let pharmacist = try await deployment.signInStaff("pharm-report", role: .pharmacist)
            let courierChannel = try await deployment.connectServiceAccount("royal-mail", role: .courier)
            let courier = Medexpress_V1_CourierServiceClient(channel: courierChannel)

            // Order 1 (erectile dysfunction, 1st Class): approved, dispatched 3 h later, delivered 20 h after that.
            let ada = try await deployment.signUp("ada.report@example.org")
            let secretNote = "I take atorvastatin for my cholesterol"
            let first = try await deployment.consult(ada, "erectile-dysfunction", answers: ["other_medicines": .text(secretNote)])
            let delivered = try await deployment.checkout(ada, first.id, product: "sildenafil-25mg-4")
            _ = try await pharmacist.pharmacy.receiveStock(.with { $0.requestId = "s"; $0.productId = "sildenafil-25mg-4"; $0.quantity = 1; $0.reference = "r" })
            let approved = try await prescriber.prescriber.approve(.with { $0.requestId = "a"; $0.orderId = delivered.id })
            deployment.clock.advance(hours: 3)
            _ = try await pharmacist.pharmacy.startDispensing(.with { $0.requestId = "d"; $0.orderId = delivered.id })
            _ = try await pharmacist.pharmacy.verifyItem(.with {
                $0.requestId = "v"
                $0.orderId = delivered.id
                $0.scannedGtin = approved.prescription?.prescription?.gtin ?? ""
            })
            _ = try await pharmacist.pharmacy.completeDispensing(.with { $0.requestId = "c"; $0.orderId = delivered.id })
            let shipment = try await pharmacist.pharmacy.createShipment(.with { $0.requestId = "sh"; $0.orderId = delivered.id })
            deployment.clock.advance(hours: 20)
            _ = try await courier.recordTrackingEvent(.with {
                $0.trackingNumber = shipment.trackingNumber
                $0.eventCode = "EVKOP"
                $0.occurredAt = .with { $0.seconds = Int64(Date().timeIntervalSince1970) }
            })
            _ = try await deployment.orders.submitFeedback(.with {
                $0.requestId = "f"
                $0.orderId = delivered.id
                $0.rating = 4
                $0.comment = "Quick, but the box was bigger than it needed to be."
            }, metadata: ada.metadata)
            // Order 2 (erectile dysfunction): cancelled. Order 3 (hair loss): waiting.
            let bob = try await deployment.signUp("bob.report@example.org", address: .with {
                $0.lines = ["7 Quiet Lane"]
                $0.town = "London"
                $0.postcode = "SW1A 1AA"
            })
            let second = try await deployment.consult(bob, "erectile-dysfunction")
            let cancelled = try await deployment.checkout(bob, second.id, product: "sildenafil-25mg-4")
            _ = try await deployment.orders.cancelOrder(.with { $0.requestId = "x"; $0.orderId = cancelled.id }, metadata: bob.metadata)
            let third = try await deployment.consult(bob, "hair-loss", answers: ["sex": .choice("male")])
            let pending = try await deployment.checkout(bob, third.id, product: "finasteride-1mg-28")
            // Two tickets: first responses after 2 h and 4 h, one resolved after 5 h.
            let opened = start
            _ = try await store.write { tx in
                for (id, firstResponse, resolved) in [("tkt_a", Int64(2), Int64?(5)), ("tkt_b", Int64(4), Int64?.none)] {
                    try tx.execute("""
                        INSERT INTO tickets (id, customer_id, category, state, channel, subject, opened_at_us, first_response_at_us,
                                             resolved_at_us, updated_at_us)
                        VALUES ($1, $2, 1, 1, 1, $3, $4, $5, $6, $4)
                        """, [.text(id), .text(ada.id), .blob([1]), .integer(opened), .integer(opened + firstResponse * 3_600_000_000),
                              resolved.map { .integer(opened + $0 * 3_600_000_000) } ?? .null])
                }
            }

            let period = Medexpress_V1_GetReportRequest.with {
                $0.from = .with { $0.seconds = start / 1_000_000 - 60 }
                $0.before = .with { $0.seconds = deployment.clock.now() / 1_000_000 + 60 }
            }
            let report = try await admin.admin.getReport(period)
            let volumes = try XCTUnwrap(report.volumes, name)
            XCTAssertEqual(volumes.orders, 3, name)
            XCTAssertEqual(volumes.byTreatment, ["erectile-dysfunction": 2, "hair-loss": 1], name)
            XCTAssertEqual(volumes.byStatus, ["DELIVERED": 1, "CANCELLED": 1, "PENDING_CLINICAL_APPROVAL": 1], name)
            let totals = [delivered, cancelled, pending].map { $0.price?.total?.minorUnits ?? 0 }.reduce(0, +)
            XCTAssertEqual(volumes.value?.minorUnits, totals, name)
            let delivery = try XCTUnwrap(report.delivery, name)
            XCTAssertEqual([delivery.dispatched, delivery.delivered, delivery.failedDeliveries], [1, 1, 0], name)
            XCTAssertEqual(delivery.medianHoursApprovalToDispatch, 3, accuracy: 0.01, name)
            XCTAssertEqual(delivery.medianHoursDispatchToDelivery, 20, accuracy: 0.01, name)
            XCTAssertEqual(delivery.byService.map(\.serviceCode), ["CRL1"], name)
            XCTAssertEqual(delivery.byService.first?.nextDayRate, 1, name)
            XCTAssertEqual(report.feedback?.responses, 1, name)
            XCTAssertEqual(report.feedback?.averageRating, 4, name)
            XCTAssertEqual(report.feedback?.byRating, [4: 1], name)
            XCTAssertEqual(report.feedback?.comments.map(\.comment), ["Quick, but the box was bigger than it needed to be."], name)
            XCTAssertEqual(report.feedback?.comments.first?.orderId, delivered.id, name)
            XCTAssertEqual([report.support?.ticketsOpened, report.support?.ticketsResolved], [2, 1], name)
            XCTAssertEqual(report.support?.medianHoursToFirstResponse ?? 0, 3, accuracy: 0.01, name)
            XCTAssertEqual(report.support?.medianHoursToResolution ?? 0, 5, accuracy: 0.01, name)

            // The export: a header and a row per order, with nobody named or located.
            let export = try await admin.admin.exportComplianceReport(.with {
                $0.from = period.from ?? .init()
                $0.before = period.before ?? .init()
            })
            var lines: [String] = []
            for try await row in export { lines.append(row.line) }
            XCTAssertEqual(lines.count, 4, name)
            XCTAssertTrue(lines[0].hasPrefix("order_ref,patient_ref,age_band,postcode_district"), name)
            let text = lines.joined(separator: "\n")
            for personal in ["Ada", "Lovelace", "ada.report", "bob.report", "Example Street", "Quiet Lane", "LS1 4AP", "SW1A 1AA",
                             "atorvastatin", "Example Surgery", ada.id, bob.id, delivered.id, "+4477"] {
                XCTAssertNil(text.range(of: personal, options: .caseInsensitive), "\(name): the export contains \(personal)")
            }
            let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            XCTAssertEqual(rows.map { $0[3] }, ["LS1", "SW1A", "SW1A"], name)
            XCTAssertEqual(rows.map { $0[2] }, ["35-44", "35-44", "35-44"], "\(name): born 1990")
            XCTAssertEqual(rows[1][1], rows[2][1], "\(name): one patient, one pseudonym")
            XCTAssertNotEqual(rows[0][1], rows[1][1], name)
            XCTAssertEqual(rows[0][13], "GMC", name)
            let badPeriod = await failure {
                _ = try await admin.admin.getReport(.with { $0.from = period.before ?? .init(); $0.before = period.from ?? .init() })
            }
            XCTAssertEqual(badPeriod?.code, .invalidArgument, name)
            for channel in [admin.channel, prescriber.channel, pharmacist.channel, courierChannel] { await channel.close() }
            await deployment.stop()
        }
    }
}
