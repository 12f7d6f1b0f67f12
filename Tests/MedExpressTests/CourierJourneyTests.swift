import Domain
import Foundation
import Generated
import MedExpress
import RPCCore
import Store
import XCTest

/// The courier's journey (collect the parcel, report its progress; the customer sees each step),
/// a courier integration signing in with its client certificate, on SQLite and on PostgreSQL.
final class CourierJourneyTests: XCTestCase {
    private func event(_ tracking: String, _ code: String, minutesAgo: Int64, signer: String = "") -> Medexpress_V1_RecordTrackingEventRequest {
        .with {
            $0.trackingNumber = tracking
            $0.eventCode = code
            $0.occurredAt = .with { $0.seconds = Int64(Date().timeIntervalSince1970) - minutesAgo * 60 }
            $0.location = "Leeds Delivery Office"
            $0.signer = signer
        }
    }

    func testTheCourierSeesTheParcelAndEachTrackingEventMovesTheOrderOnce() async throws {
        try await TestDatabases.each { store, name in
            let pki = try TestPKI()
            let deployment = try await TestDeployment.start(on: store, pki: pki)
            let prescriber = try await deployment.signInStaff("dr-courier", role: .prescriber)
            let pharmacist = try await deployment.signInStaff("pat-pharm", role: .pharmacist)
            let courierChannel = try await deployment.connectServiceAccount("royal-mail", role: .courier)
            let courier = Medexpress_V1_CourierServiceClient(channel: courierChannel)
            let (customer, order, shipment) = try await deployment.dispatchedOrder("parcel@example.org", delivery: "royal-mail-special-delivery",
                                                                                   prescriber: prescriber, pharmacist: pharmacist)
            let stream = try await courier.streamShippingInstructions(.init())
            var instructions = stream.makeAsyncIterator()
            let next = try await instructions.next()
            let first = try XCTUnwrap(next, name)
            stream.cancel()
            XCTAssertEqual(first.trackingNumber, shipment.trackingNumber, name)
            XCTAssertTrue(first.fromSnapshot && first.signatureRequired, name)
            XCTAssertEqual(first.serviceCode, "SD1", name)
            XCTAssertEqual(first.deliveryAddress?.postcode, "LS1 4AP", name)

            let tracking = shipment.trackingNumber
            var response = try await courier.recordTrackingEvent(event(tracking, "EVOAC", minutesAgo: 600))
            XCTAssertTrue(response.applied, name)
            XCTAssertEqual(response.orderStatus, .inTransit, name)
            response = try await courier.recordTrackingEvent(event(tracking, "EVGPD", minutesAgo: 120))
            XCTAssertEqual(response.orderStatus, .outForDelivery, name)
            let delivered = event(tracking, "EVKSP", minutesAgo: 10, signer: "A LOVELACE")
            response = try await courier.recordTrackingEvent(delivered)
            XCTAssertTrue(response.applied, name)
            XCTAssertEqual(response.orderStatus, .delivered, name)
            // Sent again: nothing changes.
            response = try await courier.recordTrackingEvent(delivered)
            XCTAssertFalse(response.applied, name)
            XCTAssertEqual(response.orderStatus, .delivered, name)
            // A scan arriving late is kept but does not move a delivered order back.
            response = try await courier.recordTrackingEvent(event(tracking, "EVIMC", minutesAgo: 300))
            XCTAssertEqual(response.orderStatus, .delivered, name)

            let seen = try await deployment.orders.getOrder(.with { $0.orderId = order }, metadata: customer.metadata)
            XCTAssertEqual(seen.history.map(\.status),
                           [.pendingClinicalApproval, .approved, .dispensing, .dispatched, .inTransit, .outForDelivery, .delivered], name)
            let details = try await courier.getShipment(.with { $0.trackingNumber = tracking })
            XCTAssertEqual(details.events.map(\.eventCode), ["EVOAC", "EVIMC", "EVGPD", "EVKSP"], "\(name): in the order they happened")
            XCTAssertEqual(details.events.last?.signer, "A LOVELACE", name)

            let unknown = await failure { _ = try await courier.recordTrackingEvent(event(tracking, "EVXXX", minutesAgo: 1)) }
            XCTAssertEqual(unknown?.code, .invalidArgument, name)
            let notOurs = await failure { _ = try await courier.recordTrackingEvent(event("RR473124829GB", "EVOAC", minutesAgo: 1)) }
            XCTAssertEqual(notOurs?.code, .notFound, name)
            await courierChannel.close()
            await prescriber.channel.close()
            await pharmacist.channel.close()
            await deployment.stop()
        }
    }

    func testAFailedDeliveryWaitsForRedeliveryOrGoesBack() async throws {
        try await TestDatabases.each { store, name in
            let pki = try TestPKI()
            let deployment = try await TestDeployment.start(on: store, pki: pki)
            let prescriber = try await deployment.signInStaff("dr-away", role: .prescriber)
            let pharmacist = try await deployment.signInStaff("pip", role: .pharmacist)
            let courierChannel = try await deployment.connectServiceAccount("royal-mail", role: .courier)
            let courier = Medexpress_V1_CourierServiceClient(channel: courierChannel)
            let (customer, order, shipment) = try await deployment.dispatchedOrder("away@example.org", prescriber: prescriber, pharmacist: pharmacist)
            let tracking = shipment.trackingNumber
            var response = try await courier.recordTrackingEvent(event(tracking, "EVKNA", minutesAgo: 300))
            XCTAssertEqual(response.orderStatus, .deliveryFailed, name)
            response = try await courier.recordTrackingEvent(event(tracking, "EVNSR", minutesAgo: 200))
            XCTAssertEqual(response.orderStatus, .inTransit, name)
            response = try await courier.recordTrackingEvent(event(tracking, "EVKNA", minutesAgo: 100))
            XCTAssertEqual(response.orderStatus, .deliveryFailed, name)
            response = try await courier.recordTrackingEvent(event(tracking, "EVNRS", minutesAgo: 50))
            XCTAssertEqual(response.orderStatus, .returned, name)
            let seen = try await deployment.orders.getOrder(.with { $0.orderId = order }, metadata: customer.metadata)
            XCTAssertEqual(seen.status, .returned, name)
            await courierChannel.close()
            await prescriber.channel.close()
            await pharmacist.channel.close()
            await deployment.stop()
        }
    }
}
