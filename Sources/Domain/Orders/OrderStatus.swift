/// Where an order stands (API.md, Order states). The raw value is the wire name. Refunds are
/// payment facts recorded beside the status, not statuses.
public enum OrderStatus: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// Paid (authorised) and waiting for a prescriber.
    case pendingClinicalApproval = "PENDING_CLINICAL_APPROVAL"
    /// The prescriber asked the customer something; the order waits for the answer.
    case informationRequested = "INFORMATION_REQUESTED"
    /// Prescribed: the signed prescription exists and the payment is captured.
    case approved = "APPROVED"
    case rejected = "REJECTED"
    /// The pharmacy has started dispensing; stock is committed.
    case dispensing = "DISPENSING"
    /// Handed to the courier with a tracking number.
    case dispatched = "DISPATCHED"
    case inTransit = "IN_TRANSIT"
    case outForDelivery = "OUT_FOR_DELIVERY"
    case delivered = "DELIVERED"
    /// A delivery attempt failed (no answer, card left); the item waits at the delivery office for
    /// redelivery or collection, or goes back to the pharmacy.
    case deliveryFailed = "DELIVERY_FAILED"
    /// Returned to the pharmacy by the courier.
    case returned = "RETURNED"
    /// By the customer before prescribing, or because ID or information did not come in time.
    case cancelled = "CANCELLED"

    /// The name on the wire and in the store: "PENDING_CLINICAL_APPROVAL".
    public var wireName: String { rawValue }

    /// The status named `wireName`, or nil.
    public init?(wireName: String) { self.init(rawValue: wireName) }

    public var description: String { rawValue }

    /// No event moves the order any more.
    public var isTerminal: Bool {
        switch self {
        case .rejected, .delivered, .returned, .cancelled: true
        case .pendingClinicalApproval, .informationRequested, .approved, .dispensing, .dispatched, .inTransit,
             .outForDelivery, .deliveryFailed: false
        }
    }

    /// No prescription has been issued yet: the customer may still cancel.
    public var isBeforePrescribing: Bool {
        self == .pendingClinicalApproval || self == .informationRequested
    }

    /// With the courier: dispatched and not yet delivered or returned.
    public var isWithCourier: Bool {
        switch self {
        case .dispatched, .inTransit, .outForDelivery, .deliveryFailed: true
        default: false
        }
    }

    /// The status after `event`; an event the status does not allow is refused with a message that
    /// names the current status. The only way an order moves.
    ///
    /// Tracking feeds repeat, reorder and skip scans, so delivery events are lenient in one
    /// direction only: they may jump ahead (DISPATCHED → DELIVERED), and a scan that is not ahead of
    /// the current status (another in-transit scan, an in-transit scan after out-for-delivery, a
    /// second delivery scan) leaves the status as it is. Nothing moves a delivered order back.
    public func applying(_ event: OrderEvent) throws(OrderTransitionError) -> OrderStatus {
        switch (self, event) {
        case (.pendingClinicalApproval, .requestInformation): return .informationRequested
        case (.informationRequested, .informationSupplied): return .pendingClinicalApproval
        case (.pendingClinicalApproval, .approve): return .approved
        case (.pendingClinicalApproval, .reject): return .rejected
        case (.pendingClinicalApproval, .cancelByCustomer), (.informationRequested, .cancelByCustomer): return .cancelled
        case (.pendingClinicalApproval, .cancelUnanswered), (.informationRequested, .cancelUnanswered): return .cancelled
        case (.approved, .startDispensing): return .dispensing
        case (.dispensing, .dispatch): return .dispatched

        case (.dispatched, .inTransit): return .inTransit
        case (.inTransit, .inTransit), (.outForDelivery, .inTransit), (.deliveryFailed, .inTransit): return self
        case (.dispatched, .outForDelivery), (.inTransit, .outForDelivery), (.deliveryFailed, .outForDelivery):
            return .outForDelivery
        case (.outForDelivery, .outForDelivery): return self
        case (.dispatched, .deliver), (.inTransit, .deliver), (.outForDelivery, .deliver), (.deliveryFailed, .deliver):
            return .delivered
        case (.delivered, .deliver): return self
        case (.dispatched, .failDelivery), (.inTransit, .failDelivery), (.outForDelivery, .failDelivery),
             (.deliveryFailed, .failDelivery):
            return .deliveryFailed
        case (.deliveryFailed, .arrangeRedelivery): return .inTransit
        case (.dispatched, .returnToSender), (.inTransit, .returnToSender), (.outForDelivery, .returnToSender),
             (.deliveryFailed, .returnToSender):
            return .returned

        default:
            throw OrderTransitionError(from: self, event: event)
        }
    }
}
