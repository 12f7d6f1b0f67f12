import XCTest
import Domain

/// The order state machine: every move an order can make, and the ones it cannot.
final class OrderStatusTests: XCTestCase {
    /// Every legal (status, event) → status. Anything not listed is refused.
    private let legal: [OrderStatus: [OrderEvent: OrderStatus]] = [
        .pendingClinicalApproval: [.requestInformation: .informationRequested, .approve: .approved, .reject: .rejected,
                                   .cancelByCustomer: .cancelled, .cancelUnanswered: .cancelled],
        .informationRequested: [.informationSupplied: .pendingClinicalApproval, .cancelByCustomer: .cancelled,
                                .cancelUnanswered: .cancelled],
        .approved: [.startDispensing: .dispensing],
        .dispensing: [.dispatch: .dispatched],
        .dispatched: [.inTransit: .inTransit, .outForDelivery: .outForDelivery, .deliver: .delivered,
                      .failDelivery: .deliveryFailed, .returnToSender: .returned],
        .inTransit: [.inTransit: .inTransit, .outForDelivery: .outForDelivery, .deliver: .delivered,
                     .failDelivery: .deliveryFailed, .returnToSender: .returned],
        .outForDelivery: [.inTransit: .outForDelivery, .outForDelivery: .outForDelivery, .deliver: .delivered,
                          .failDelivery: .deliveryFailed, .returnToSender: .returned],
        .deliveryFailed: [.inTransit: .deliveryFailed, .outForDelivery: .outForDelivery, .deliver: .delivered,
                          .failDelivery: .deliveryFailed, .arrangeRedelivery: .inTransit, .returnToSender: .returned],
        .delivered: [.deliver: .delivered],
    ]

    func testEveryLegalTransition() throws {
        for (status, moves) in legal {
            for (event, expected) in moves {
                XCTAssertEqual(try status.applying(event), expected, "\(status) + \(event)")
            }
        }
    }

    func testEveryOtherTransitionIsRefusedNamingTheCurrentState() {
        for status in OrderStatus.allCases {
            for event in OrderEvent.allCases where legal[status]?[event] == nil {
                XCTAssertThrowsError(try status.applying(event), "\(status) + \(event)") { error in
                    let error = error as! OrderTransitionError
                    XCTAssertEqual(error.from, status)
                    XCTAssertEqual(error.event, event)
                    XCTAssertTrue(error.description.hasPrefix("order is \(status.wireName): "), error.description)
                }
            }
        }
    }

    func testACustomerCannotCancelOnceDispatched() {
        XCTAssertThrowsError(try OrderStatus.dispatched.applying(.cancelByCustomer)) { error in
            XCTAssertEqual("\(error)", "order is DISPATCHED: a customer can cancel only before prescribing")
        }
        XCTAssertThrowsError(try OrderStatus.approved.applying(.cancelByCustomer)) { error in
            XCTAssertEqual("\(error)", "order is APPROVED: a customer can cancel only before prescribing")
        }
        XCTAssertThrowsError(try OrderStatus.cancelled.applying(.cancelByCustomer)) { error in
            XCTAssertEqual("\(error)", "order is CANCELLED: it is already cancelled")
        }
    }

    func testAPrescriberCannotDecideWhileWaitingForInformation() {
        XCTAssertThrowsError(try OrderStatus.informationRequested.applying(.approve)) { error in
            XCTAssertEqual("\(error)", "order is INFORMATION_REQUESTED: the prescriber asked for information; it must be supplied before a decision")
        }
        XCTAssertThrowsError(try OrderStatus.approved.applying(.reject)) { error in
            XCTAssertEqual("\(error)", "order is APPROVED: a decision can be made only while the order waits for a prescriber")
        }
    }

    func testThePharmacyWorksOnlyOnApprovedOrders() {
        XCTAssertThrowsError(try OrderStatus.pendingClinicalApproval.applying(.startDispensing)) { error in
            XCTAssertEqual("\(error)", "order is PENDING_CLINICAL_APPROVAL: dispensing can start only once the order is approved")
        }
        XCTAssertThrowsError(try OrderStatus.approved.applying(.dispatch)) { error in
            XCTAssertEqual("\(error)", "order is APPROVED: only an order being dispensed can be dispatched")
        }
    }

    func testTrackingCannotMoveADeliveredOrderBack() {
        XCTAssertThrowsError(try OrderStatus.delivered.applying(.outForDelivery)) { error in
            XCTAssertEqual("\(error)", "order is DELIVERED: it is finished, and tracking cannot move it")
        }
        XCTAssertThrowsError(try OrderStatus.delivered.applying(.failDelivery))
        XCTAssertThrowsError(try OrderStatus.returned.applying(.deliver))
        XCTAssertThrowsError(try OrderStatus.dispensing.applying(.deliver)) { error in
            XCTAssertEqual("\(error)", "order is DISPENSING: tracking events apply only once the order is dispatched")
        }
    }

    func testATrackingFeedMayJumpFromDispatchedToDelivered() throws {
        XCTAssertEqual(try OrderStatus.dispatched.applying(.deliver), .delivered)
    }

    func testAMissedDeliveryIsRedeliveredOrReturned() throws {
        var status = OrderStatus.outForDelivery
        status = try status.applying(.failDelivery)
        XCTAssertEqual(status, .deliveryFailed)
        XCTAssertFalse(status.isTerminal)
        status = try status.applying(.arrangeRedelivery)
        XCTAssertEqual(status, .inTransit)
        status = try status.applying(.outForDelivery)
        status = try status.applying(.deliver)
        XCTAssertEqual(status, .delivered)
        XCTAssertEqual(try OrderStatus.deliveryFailed.applying(.returnToSender), .returned)
        XCTAssertThrowsError(try OrderStatus.outForDelivery.applying(.arrangeRedelivery)) { error in
            XCTAssertEqual("\(error)", "order is OUT_FOR_DELIVERY: redelivery follows a failed delivery attempt only")
        }
    }

    func testTheWholeJourneyFromCheckoutToDoorstep() throws {
        var status = OrderStatus.pendingClinicalApproval
        for event: OrderEvent in [.requestInformation, .informationSupplied, .approve, .startDispensing, .dispatch,
                                  .inTransit, .outForDelivery, .deliver] {
            status = try status.applying(event)
        }
        XCTAssertEqual(status, .delivered)
    }

    func testTerminalAndBeforePrescribingStates() {
        XCTAssertEqual(OrderStatus.allCases.filter(\.isTerminal), [.rejected, .delivered, .returned, .cancelled])
        XCTAssertEqual(OrderStatus.allCases.filter(\.isBeforePrescribing), [.pendingClinicalApproval, .informationRequested])
        XCTAssertEqual(OrderStatus.allCases.filter(\.isWithCourier), [.dispatched, .inTransit, .outForDelivery, .deliveryFailed])
        for status in OrderStatus.allCases where status.isTerminal && status != .delivered {
            for event in OrderEvent.allCases { XCTAssertThrowsError(try status.applying(event)) }
        }
    }

    func testWireNames() {
        XCTAssertEqual(OrderStatus.pendingClinicalApproval.wireName, "PENDING_CLINICAL_APPROVAL")
        XCTAssertEqual(OrderStatus.outForDelivery.wireName, "OUT_FOR_DELIVERY")
        XCTAssertEqual(OrderStatus(wireName: "DELIVERY_FAILED"), .deliveryFailed)
        XCTAssertNil(OrderStatus(wireName: "REFUNDED"))
        XCTAssertEqual(Set(OrderStatus.allCases.map(\.wireName)).count, 12)
    }

    func testEventsNameWhoCausesThem() {
        XCTAssertEqual(OrderEvent.cancelByCustomer.source, .customer)
        XCTAssertEqual(OrderEvent.approve.source, .prescriber)
        XCTAssertEqual(OrderEvent.dispatch.source, .pharmacy)
        XCTAssertEqual(OrderEvent.deliver.source, .courier)
        XCTAssertEqual(OrderEvent.cancelUnanswered.source, .system)
    }
}
