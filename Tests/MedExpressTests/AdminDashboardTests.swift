import Domain
import Foundation
import Generated
import MedExpress
import RPCCore
import Store
import XCTest

/// The admin's journey, monitoring orders (user journeys: a dashboard of incoming orders and their
/// statuses with real-time updates), over mTLS with real staff credentials, on SQLite and PostgreSQL.
final class AdminDashboardTests: XCTestCase {
    func testTheDashboardShowsWhereOrdersStandThenEveryChangeLive() async throws {
        try await TestDatabases.each { store, name in
            let pki = try TestPKI()
            let deployment = try await TestDeployment.start(on: store, pki: pki)
            let admin = try await deployment.signInStaff("ops", role: .admin)
            let prescriber = try await deployment.signInStaff("dr-dash", role: .prescriber)
            let first = try await deployment.signUp("dash1@example.org")
            let flagged = try await deployment.consult(first, "asthma", answers: ["reliever_uses_per_week": .number(6)])
            let waiting = try await deployment.checkout(first, flagged.id, product: "salbutamol-100mcg-200")

            let dashboard = try await admin.admin.watchOrders(.init())
            var updates = dashboard.makeAsyncIterator()
            guard case .snapshot(let snapshot)? = try await updates.next()?.update else { return XCTFail("\(name): no snapshot first") }
            XCTAssertEqual(snapshot.counts.first { $0.status == .pendingClinicalApproval }?.count, 1, name)
            XCTAssertEqual(snapshot.flagged.map(\.orderId), [waiting.id], name)
            XCTAssertEqual(snapshot.overdue, [], name)

            let second = try await deployment.signUp("dash2@example.org")
            let consultation = try await deployment.consult(second, "erectile-dysfunction")
            let placed = try await deployment.checkout(second, consultation.id, product: "sildenafil-25mg-4")
            var change: Medexpress_V1_OrderChange?
            while change?.order?.orderId != placed.id {
                guard case .change(let next)? = try await updates.next()?.update else { return XCTFail("\(name): the stream ended") }
                change = next
            }
            XCTAssertEqual(change?.action, "order.placed", name)
            XCTAssertEqual(change?.actor, second.id, name)
            XCTAssertEqual(change?.order?.status, .pendingClinicalApproval, name)
            XCTAssertEqual(change?.order?.total?.minorUnits, placed.price?.total?.minorUnits, name)

            _ = try await prescriber.prescriber.reject(.with {
                $0.requestId = "r"
                $0.orderId = placed.id
                $0.reason = "Please see your GP first."
            })
            change = nil
            while change?.action != "order.rejected" {
                guard case .change(let next)? = try await updates.next()?.update else { return XCTFail("\(name): the stream ended") }
                change = next
            }
            dashboard.cancel()
            XCTAssertEqual(change?.order?.orderId, placed.id, name)
            XCTAssertEqual(change?.order?.status, .rejected, name)
            XCTAssertEqual(change?.actor, prescriber.id, name)

            // A day later the flagged order is overdue for review.
            deployment.clock.advance(days: 2)
            let later = try await admin.admin.watchOrders(.init())
            var laterUpdates = later.makeAsyncIterator()
            guard case .snapshot(let overdue)? = try await laterUpdates.next()?.update else { return XCTFail("\(name): no snapshot") }
            later.cancel()
            XCTAssertEqual(overdue.overdue.map(\.orderId), [waiting.id], name)
            for channel in [admin.channel, prescriber.channel] { await channel.close() }
            await deployment.stop()
        }
    }

    func testOrdersAreFilteredPagedAndTheirDetailIsAnAuditedRead() async throws {
        try await TestDatabases.each { store, name in
            let pki = try TestPKI()
            let deployment = try await TestDeployment.start(on: store, pki: pki)
            let admin = try await deployment.signInStaff("ops2", role: .admin)
            let customer = try await deployment.signUp("filters@example.org")
            var erectile: [String] = []
            for _ in 0..<3 {
                let consultation = try await deployment.consult(customer, "erectile-dysfunction")
                erectile.append(try await deployment.checkout(customer, consultation.id, product: "sildenafil-25mg-4").id)
            }
            let hair = try await deployment.consult(customer, "hair-loss", answers: ["sex": .choice("male")])
            let hairOrder = try await deployment.checkout(customer, hair.id, product: "finasteride-1mg-28")
            let firstOrder = erectile[0]
            _ = try await deployment.orders.cancelOrder(.with { $0.requestId = "c"; $0.orderId = firstOrder }, metadata: customer.metadata)

            var seen: [String] = []
            var token = ""
            repeat {
                let page = try await admin.admin.listOrders(.with {
                    $0.treatmentId = "erectile-dysfunction"
                    $0.pageSize = 2
                    $0.pageToken = token
                })
                seen += page.orders.map(\.orderId)
                token = page.nextPageToken
            } while !token.isEmpty
            XCTAssertEqual(seen, erectile.reversed(), name)
            let cancelled = try await admin.admin.listOrders(.with { $0.statuses = [.cancelled] })
            XCTAssertEqual(cancelled.orders.map(\.orderId), [firstOrder], name)
            let pending = try await admin.admin.listOrders(.with { $0.statuses = [.pendingClinicalApproval]; $0.treatmentId = "hair-loss" })
            XCTAssertEqual(pending.orders.map(\.orderId), [hairOrder.id], name)
            let unknown = await failure { _ = try await admin.admin.listOrders(.with { $0.treatmentId = "hay-fever" }) }
            XCTAssertEqual(unknown?.code, .notFound, name)

            let detail = try await admin.admin.getOrderDetail(.with { $0.orderId = firstOrder })
            XCTAssertEqual(detail.customerEmail, "filters@example.org", name)
            XCTAssertEqual(detail.order?.status, .cancelled, name)
            XCTAssertEqual(detail.auditTrail.map(\.action), ["order.placed", "order.cancelled"], name)
            let reads = try await store.read { tx in
                try tx.query("SELECT actor FROM audit_log WHERE action = 'health_data.read' AND resource = $1", [.text(firstOrder)])
            }
            XCTAssertEqual(try reads.map { try $0.string("actor") }, [admin.id], name)
            await admin.channel.close()
            await deployment.stop()
        }
    }
}
