import Domain
import Foundation
import Gateways
import Generated
import MedExpress
import RPCCore
import Store
import XCTest

/// The issue's proof for refunds, end to end: the server configured with the Stripe adapter,
/// against the local stand-in that checks what Stripe checks. A partial refund asked twice (a
/// retried request) and delivered by the outbox twice reaches Stripe exactly once.
final class RefundThroughStripeTests: XCTestCase {
    func testAPartialRefundReachesStripeOnceDespiteARetriedRequest() async throws {
        try await TestDatabases.each { store, name in
            let stripe = try StripeStandIn()
            let pki = try TestPKI()
            let deployment = try await TestDeployment.start(on: store, pki: pki, paymentGateway: try stripe.gateway())
            let prescriber = try await deployment.signInStaff("dr-stripe", role: .prescriber)
            let pharmacist = try await deployment.signInStaff("pharm-stripe", role: .pharmacist)
            let agent = try await deployment.signInStaff("agent-stripe", role: .admin)
            let support = Medexpress_V1_SupportServiceClient(channel: agent.channel)
            let (customer, order, _) = try await deployment.dispatchedOrder("refund@example.org", prescriber: prescriber,
                                                                            pharmacist: pharmacist)
            // The approval's capture reaches Stripe through the outbox.
            _ = try await deployment.outbox.dispatchDue()
            let paid = try await deployment.orders.getOrder(.with { $0.orderId = order }, metadata: customer.metadata)
            XCTAssertEqual(paid.paymentStatus, .captured, name)

            let complaint = try await deployment.support.fileComplaint(.with {
                $0.requestId = "file"
                $0.orderId = order
                $0.reason = .damaged
                $0.description = "Two tablets arrived broken."
            }, metadata: customer.metadata)
            let resolve = Medexpress_V1_ResolveComplaintRequest.with {
                $0.requestId = "resolve-1"
                $0.complaintId = complaint.id
                $0.outcome = .partialRefund
                $0.refund = .with { $0.minorUnits = 500; $0.currency = "GBP" }
                $0.note = "Two of four tablets broken: half the medication refunded."
            }
            let first = try await support.resolveComplaint(resolve)
            let retried = try await support.resolveComplaint(resolve)
            XCTAssertEqual(first, retried, name)
            _ = try await deployment.outbox.dispatchDue()
            _ = try await deployment.outbox.dispatchDue()

            let refunds = try await stripe.requests().filter { $0.path == "/v1/refunds" }
            XCTAssertEqual(refunds.filter(\.processed).count, 1, "\(name): \(refunds)")
            XCTAssertEqual(refunds.first?.params["amount"], ["500"], name)
            try await stripe.assertNoViolations()
            let after = try await deployment.orders.getOrder(.with { $0.orderId = order }, metadata: customer.metadata)
            XCTAssertEqual(after.paymentStatus, .partiallyRefunded, name)
            // The customer is told, once, what was done and why.
            let told = deployment.emails.messages("complaint-resolved", about: complaint.id)
            XCTAssertEqual(told.count, 1, name)
            XCTAssertTrue(told.first?.body.contains("£5.00") ?? false, "\(name): \(told.first?.body ?? "")")
            for staff in [prescriber, pharmacist, agent] { await staff.channel.close() }
            await deployment.stop()
        }
    }
}
