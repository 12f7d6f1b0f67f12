/// Something that happens to an order: a person's decision, a timeout, or a courier's scan.
public enum OrderEvent: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// A prescriber asks the customer a question.
    case requestInformation
    /// The customer answers it.
    case informationSupplied
    /// A prescriber approves and issues the prescription.
    case approve
    /// A prescriber refuses to prescribe.
    case reject
    /// The customer cancels (only before prescribing).
    case cancelByCustomer
    /// ID or information was not supplied in time (14 days for weight-loss injections, 7 for the rest).
    case cancelUnanswered
    /// The pharmacy starts dispensing.
    case startDispensing
    /// The pharmacy hands the parcel to the courier.
    case dispatch
    /// The courier scanned the item in its network.
    case inTransit
    /// The item is with the delivery office for delivery today.
    case outForDelivery
    /// Delivered: signed for, to the door, a safe place or a neighbour.
    case deliver
    /// A delivery attempt failed: no answer, card left, address inaccessible.
    case failDelivery
    /// After a failed attempt the recipient arranged redelivery.
    case arrangeRedelivery
    /// The courier is returning the item to the pharmacy.
    case returnToSender

    /// Who may cause the event.
    public enum Source: Hashable, Sendable {
        case customer, prescriber, pharmacy, courier, system
    }

    public var source: Source {
        switch self {
        case .informationSupplied, .cancelByCustomer: .customer
        case .requestInformation, .approve, .reject: .prescriber
        case .startDispensing, .dispatch: .pharmacy
        case .inTransit, .outForDelivery, .deliver, .failDelivery, .arrangeRedelivery, .returnToSender: .courier
        case .cancelUnanswered: .system
        }
    }

    /// "cancelByCustomer": the name recorded in the audit log.
    public var description: String { rawValue }
}
