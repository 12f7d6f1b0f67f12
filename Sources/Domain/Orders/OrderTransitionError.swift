/// An event the order's status does not allow (FAILED_PRECONDITION): the message names the status.
public struct OrderTransitionError: Error, Hashable, Sendable, CustomStringConvertible {
    public let from: OrderStatus
    public let event: OrderEvent

    public init(from: OrderStatus, event: OrderEvent) {
        self.from = from
        self.event = event
    }

    /// "order is DISPATCHED: a customer can cancel only before prescribing".
    public var description: String { "order is \(from.wireName): \(reason)" }

    private var reason: String {
        switch event {
        case .cancelByCustomer:
            return from == .cancelled ? "it is already cancelled" : "a customer can cancel only before prescribing"
        case .cancelUnanswered:
            return "only an order waiting for a prescriber or for information can time out"
        case .requestInformation:
            return from == .informationRequested
                ? "information has already been requested; wait for the answer"
                : "information can be requested only while the order waits for a prescriber"
        case .informationSupplied:
            return "no information was requested"
        case .approve, .reject:
            return from == .informationRequested
                ? "the prescriber asked for information; it must be supplied before a decision"
                : "a decision can be made only while the order waits for a prescriber"
        case .startDispensing:
            return "dispensing can start only once the order is approved"
        case .dispatch:
            return "only an order being dispensed can be dispatched"
        case .inTransit, .outForDelivery, .deliver, .failDelivery, .returnToSender:
            return from.isTerminal
                ? "it is finished, and tracking cannot move it"
                : "tracking events apply only once the order is dispatched"
        case .arrangeRedelivery:
            return "redelivery follows a failed delivery attempt only"
        }
    }
}
