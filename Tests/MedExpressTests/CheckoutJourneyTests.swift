import Domain
import Foundation
import Generated
import MedExpress
import RPCCore
import Store
import XCTest

/// Checkout and the customer's orders (user journeys: choose a medicine, check out with a
/// delivery option and a discount code, pay; cancel before prescribing), over gRPC, on SQLite and
/// on PostgreSQL. Amounts are worked out by hand from the catalog's prices.
final class CheckoutJourneyTests: XCTestCase {
    /// Offers LATESTBF26 as `medexpress discount-codes add` would.
    private func offerLatestBF26(_ store: any StoreEngine) async throws {
        try await DiscountCodes(store: store).add(try DiscountCode(code: "LATESTBF26", kind: .percentage(basisPoints: 2600), firstOrderOnly: true),
                                                  actor: "test", method: "test")
    }

    func testAFirstOrderWithLATESTBF26AndFirstClassIsPricedToThePennyAndWaitsForAPrescriber() async throws {
        try await TestDatabases.each { store, name in
            try await offerLatestBF26(store)
            let deployment = try await TestDeployment.start(on: store)
            let customer = try await deployment.signUp("first@example.org")
            let consultation = try await deployment.consult(customer, "erectile-dysfunction")

            // Sildenafil 25 mg × 8 is £19.99; 26% of it is 519.74p, half up 520p; 1st Class £2.90.
            let quote = try await deployment.orders.getQuote(.with {
                $0.consultationId = consultation.id
                $0.productId = "sildenafil-25mg-8"
                $0.deliveryOptionId = "royal-mail-1st-class"
                $0.discountCode = " latestbf26 "
            }, metadata: customer.metadata)
            XCTAssertEqual(quote.medication?.minorUnits, 1999, name)
            XCTAssertEqual(quote.discount?.minorUnits, 520, name)
            XCTAssertEqual(quote.delivery?.minorUnits, 290, name)
            XCTAssertEqual(quote.total?.minorUnits, 1769, name)
            XCTAssertEqual(quote.discountCode, "LATESTBF26", name)
            XCTAssertEqual(quote.lines.map { $0.amount?.minorUnits }, [1999, -520, 290], name)

            let order = try await deployment.checkout(customer, consultation.id, product: "sildenafil-25mg-8",
                                                      discountCode: "LATESTBF26", requestID: "checkout-1")
            XCTAssertTrue(order.id.hasPrefix("ord_"), name)
            XCTAssertEqual(order.status, .pendingClinicalApproval, name)
            XCTAssertEqual(order.paymentStatus, .authorized, name)
            XCTAssertEqual(order.price?.total?.minorUnits, 1769, name)
            XCTAssertEqual(order.item?.medicationName.hasPrefix("Sildenafil"), true, name)
            XCTAssertEqual(order.deliveryAddress?.postcode, "LS1 4AP", name)
            XCTAssertEqual(order.history.map(\.status), [.pendingClinicalApproval], name)

            // A retried checkout is the same order, authorised once.
            let retried = try await deployment.checkout(customer, consultation.id, product: "sildenafil-25mg-8",
                                                        discountCode: "LATESTBF26", requestID: "checkout-1")
            XCTAssertEqual(retried.id, order.id, name)
            let authorisations = deployment.payments.calls.filter { if case .authorize = $0 { true } else { false } }
            XCTAssertEqual(authorisations, [.authorize(amount: Pence(1769), token: "pm_card_visa",
                                                       key: { if case .authorize(_, _, let key) = authorisations.first { key } else { "" } }())], name)
            // One order per consultation.
            let second = await failure {
                _ = try await deployment.checkout(customer, consultation.id, product: "sildenafil-25mg-8", requestID: "checkout-2")
            }
            XCTAssertEqual(second?.code, .failedPrecondition, name)
            XCTAssertTrue(second?.message.contains("ORDERED") ?? false, "\(name): \(second?.message ?? "")")
            await deployment.stop()
        }
    }

    func testLATESTBF26IsForAFirstOrderOnly() async throws {
        try await TestDatabases.each { store, name in
            try await offerLatestBF26(store)
            let deployment = try await TestDeployment.start(on: store)
            let customer = try await deployment.signUp("second@example.org")
            let first = try await deployment.consult(customer, "hair-loss", answers: ["sex": .choice("male")])
            _ = try await deployment.checkout(customer, first.id, product: "finasteride-1mg-28", discountCode: "LATESTBF26")
            let again = try await deployment.consult(customer, "erectile-dysfunction")
            let refused = await failure {
                _ = try await deployment.checkout(customer, again.id, product: "sildenafil-25mg-4", discountCode: "LATESTBF26")
            }
            XCTAssertEqual(refused?.code, .failedPrecondition, name)
            XCTAssertTrue(refused?.message.contains("discount_code") ?? false, "\(name): \(refused?.message ?? "")")
            // Refused before any payment was asked for; without the code the order goes through.
            let order = try await deployment.checkout(customer, again.id, product: "sildenafil-25mg-4")
            XCTAssertEqual(order.price?.discount?.minorUnits, 0, name)
            await deployment.stop()
        }
    }

    func testAnInjectionTravelsRefrigeratedBySpecialDeliveryOnly() async throws {
        try await TestDatabases.each { store, name in
            try await offerLatestBF26(store)
            let deployment = try await TestDeployment.start(on: store)
            let customer = try await deployment.signUp("pens@example.org")
            let consultation = try await deployment.consult(customer, "weight-loss",
                                                            answers: ["height_cm": .number(170), "weight_kg": .number(104)])
            XCTAssertTrue(consultation.assessment?.offered.contains { $0.medicationId == "tirzepatide-pen" } ?? false, name)
            let firstClass = await failure {
                _ = try await deployment.checkout(customer, consultation.id, product: "mounjaro-2.5mg-kwikpen")
            }
            XCTAssertEqual(firstClass?.code, .invalidArgument, name)
            XCTAssertTrue(firstClass?.message.contains("delivery_option_id") ?? false, "\(name): \(firstClass?.message ?? "")")
            // £189.99 less 26% (4939.74p → 4940p) plus Special Delivery £13.95.
            let order = try await deployment.checkout(customer, consultation.id, product: "mounjaro-2.5mg-kwikpen",
                                                      delivery: "royal-mail-special-delivery", discountCode: "LATESTBF26")
            XCTAssertEqual(order.price?.total?.minorUnits, 18999 - 4940 + 1395, name)
            XCTAssertEqual(order.item?.refrigerated, true, name)
            await deployment.stop()
        }
    }

    func testADeclinedCardPlacesNoOrderAndTheConsultationCanStillBeCheckedOut() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            let customer = try await deployment.signUp("declined@example.org")
            let consultation = try await deployment.consult(customer, "erectile-dysfunction")
            let declined = await failure {
                _ = try await deployment.checkout(customer, consultation.id, product: "sildenafil-50mg-4", card: "pm_card_chargeDeclined")
            }
            XCTAssertEqual(declined?.code, .failedPrecondition, name)
            XCTAssertTrue(declined?.message.contains("declined") ?? false, "\(name): \(declined?.message ?? "")")
            let orders = try await deployment.orders.listOrders(.init(), metadata: customer.metadata)
            XCTAssertEqual(orders.orders.count, 0, name)
            let order = try await deployment.checkout(customer, consultation.id, product: "sildenafil-50mg-4")
            XCTAssertEqual(order.status, .pendingClinicalApproval, name)
            await deployment.stop()
        }
    }

    func testAConsultationOlderThan14DaysMustBeTakenAgain() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            let customer = try await deployment.signUp("stale@example.org")
            let consultation = try await deployment.consult(customer, "erectile-dysfunction")
            deployment.clock.advance(days: 15)
            let stale = await failure { _ = try await deployment.checkout(customer, consultation.id, product: "sildenafil-50mg-4") }
            XCTAssertEqual(stale?.code, .failedPrecondition, name)
            XCTAssertTrue(stale?.message.contains("14 days") ?? false, "\(name): \(stale?.message ?? "")")
            XCTAssertTrue(deployment.payments.calls.isEmpty, name)
            await deployment.stop()
        }
    }

    func testCancellingBeforePrescribingReleasesThePaymentOnce() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            let customer = try await deployment.signUp("cancel@example.org")
            let consultation = try await deployment.consult(customer, "erectile-dysfunction")
            let order = try await deployment.checkout(customer, consultation.id, product: "tadalafil-10mg-4")
            let cancel = Medexpress_V1_CancelOrderRequest.with {
                $0.requestId = "cancel-1"
                $0.orderId = order.id
                $0.reason = "changed my mind"
            }
            let cancelled = try await deployment.orders.cancelOrder(cancel, metadata: customer.metadata)
            XCTAssertEqual(cancelled.status, .cancelled, name)
            XCTAssertEqual(cancelled.history.map(\.status), [.pendingClinicalApproval, .cancelled], name)
            // The release leaves through the outbox, after the commit.
            let delivered = try await deployment.outbox.dispatchDue()
            let leftOver = try await deployment.outbox.dispatchDue()
            XCTAssertEqual([delivered, leftOver], [3, 0], "\(name): the release, the confirmation and the cancellation email")
            XCTAssertEqual(deployment.emails.messages("cancelled", about: order.id).count, 1, name)
            let releases = deployment.payments.calls.filter { if case .release = $0 { true } else { false } }
            XCTAssertEqual(releases.count, 1, name)
            let after = try await deployment.orders.getOrder(.with { $0.orderId = order.id }, metadata: customer.metadata)
            XCTAssertEqual(after.paymentStatus, .released, name)
            // A retry is the same answer; a new request names the state.
            let retried = try await deployment.orders.cancelOrder(cancel, metadata: customer.metadata)
            XCTAssertEqual(retried.status, .cancelled, name)
            let again = await failure {
                _ = try await deployment.orders.cancelOrder(.with {
                    $0.requestId = "cancel-2"
                    $0.orderId = order.id
                }, metadata: customer.metadata)
            }
            XCTAssertEqual(again?.code, .failedPrecondition, name)
            XCTAssertTrue(again?.message.contains("CANCELLED") ?? false, "\(name): \(again?.message ?? "")")
            await deployment.stop()
        }
    }

    func testOrdersAreListedNewestFirstAcrossPages() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            let customer = try await deployment.signUp("lister@example.org")
            var placed: [String] = []
            for _ in 0..<3 {
                let consultation = try await deployment.consult(customer, "erectile-dysfunction")
                placed.append(try await deployment.checkout(customer, consultation.id, product: "sildenafil-25mg-4").id)
            }
            var seen: [String] = []
            var token = ""
            repeat {
                let page = try await deployment.orders.listOrders(.with {
                    $0.pageSize = 2
                    $0.pageToken = token
                }, metadata: customer.metadata)
                XCTAssertLessThanOrEqual(page.orders.count, 2, name)
                seen += page.orders.map(\.id)
                token = page.nextPageToken
            } while !token.isEmpty
            XCTAssertEqual(seen, placed.reversed(), name)
            let bad = await failure { _ = try await deployment.orders.listOrders(.with { $0.pageToken = "forged" }, metadata: customer.metadata) }
            XCTAssertEqual(bad?.code, .invalidArgument, name)
            await deployment.stop()
        }
    }

    func testAnotherCustomersOrderAndConsultationAreNotFound() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            let owner = try await deployment.signUp("owner@example.org")
            let other = try await deployment.signUp("other@example.org")
            let consultation = try await deployment.consult(owner, "erectile-dysfunction")
            let order = try await deployment.checkout(owner, consultation.id, product: "sildenafil-25mg-4")

            let theirs = await failure { _ = try await deployment.orders.getOrder(.with { $0.orderId = order.id }, metadata: other.metadata) }
            let nobodys = await failure {
                _ = try await deployment.orders.getOrder(.with { $0.orderId = "ord_" + String(repeating: "a", count: 26) }, metadata: other.metadata)
            }
            XCTAssertEqual(theirs?.code, .notFound, name)
            // Exactly as for an order that does not exist, but for the id asked about.
            XCTAssertEqual(theirs?.message.replacingOccurrences(of: order.id, with: "ID"),
                           nobodys?.message.replacingOccurrences(of: "ord_" + String(repeating: "a", count: 26), with: "ID"), name)
            let cancel = await failure {
                _ = try await deployment.orders.cancelOrder(.with {
                    $0.requestId = "cancel-theirs"
                    $0.orderId = order.id
                }, metadata: other.metadata)
            }
            XCTAssertEqual(cancel?.code, .notFound, name)
            let consultationRead = await failure {
                _ = try await deployment.consultations.getConsultation(.with { $0.consultationId = consultation.id }, metadata: other.metadata)
            }
            XCTAssertEqual(consultationRead?.code, .notFound, name)
            let answer = await failure { try await deployment.answer(other, consultation.id, "nitrates", .yesNo(true)) }
            XCTAssertEqual(answer?.code, .notFound, name)
            let hijack = await failure { _ = try await deployment.checkout(other, consultation.id, product: "sildenafil-25mg-4") }
            XCTAssertEqual(hijack?.code, .notFound, name)
            let othersOrders = try await deployment.orders.listOrders(.init(), metadata: other.metadata).orders
            XCTAssertEqual(othersOrders, [], name)
            // The owner still sees it, untouched.
            let mine = try await deployment.orders.getOrder(.with { $0.orderId = order.id }, metadata: owner.metadata)
            XCTAssertEqual(mine.status, .pendingClinicalApproval, name)
            await deployment.stop()
        }
    }

    func testSharedCardsAndAddressesAreFlaggedForThePrescriber() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            let first = try await deployment.signUp("house1@example.org")
            let second = try await deployment.signUp("house2@example.org")
            let firstConsultation = try await deployment.consult(first, "erectile-dysfunction")
            XCTAssertTrue(firstConsultation.assessment?.flags.contains { $0.code == "shared_address" } ?? false, name)
            _ = try await deployment.checkout(first, firstConsultation.id, product: "sildenafil-25mg-4", card: "pm_card_visa")
            let secondConsultation = try await deployment.consult(second, "erectile-dysfunction")
            let order = try await deployment.checkout(second, secondConsultation.id, product: "sildenafil-25mg-4", card: "pm_card_visa")
            let flags = try await store.read { tx in
                try tx.query("SELECT checkout_flags, flag_count FROM orders WHERE id = $1", [.text(order.id)]).first
            }
            let checkoutFlags = try Medexpress_V1_ClinicalAssessment(decoding: try XCTUnwrap(flags, name).bytes("checkout_flags"))
            XCTAssertEqual(checkoutFlags.flags.map(\.code), ["shared_payment_method"], name)
            XCTAssertGreaterThanOrEqual(try flags?.int64("flag_count") ?? 0, 2, name)
            await deployment.stop()
        }
    }
}

/// A checkout retried while the first attempt is still in flight (a client timing out and trying
/// again at once) is one order with one held payment, whichever attempt wins.
final class CheckoutRetryTests: XCTestCase {
    func testTheSameCheckoutSentTwiceAtOnceIsOneOrderAndItsPaymentStaysHeld() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            for round in 0..<4 {
                let customer = try await deployment.signUp("twice\(round)@example.org")
                let consultation = try await deployment.consult(customer, "erectile-dysfunction")
                async let first = Result(catching: { try await deployment.checkout(customer, consultation.id, product: "sildenafil-25mg-4", requestID: "same") })
                async let second = Result(catching: { try await deployment.checkout(customer, consultation.id, product: "sildenafil-25mg-4", requestID: "same") })
                let results = await [first, second]
                let orders = Set(results.compactMap { try? $0.get().id })
                XCTAssertEqual(orders.count, 1, "\(name) round \(round): \(results)")
                for case .failure(let error) in results {
                    XCTAssertEqual((error as? Status)?.code, .aborted, "\(name) round \(round): a loser may only be told to retry: \(error)")
                }
                let listed = try await deployment.orders.listOrders(.init(), metadata: customer.metadata).orders
                XCTAssertEqual(listed.map(\.id), Array(orders), name)
                XCTAssertEqual(listed.first?.paymentStatus, .authorized, name)
            }
            let releases = deployment.payments.calls.filter { if case .release = $0 { true } else { false } }
            XCTAssertEqual(releases, [], "\(name): no held payment of a placed order was released")
            await deployment.stop()
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
