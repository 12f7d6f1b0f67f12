/// The Royal Mail tracking event codes the courier integration understands, and the order event
/// each one means. Any other code is refused, never silently dropped.
///
/// Codes and names as in Royal Mail's tracking event list (Tracking API v2 `eventCode`, e.g.
/// EVKSP "Delivered - Signature").
public enum TrackingEventCode: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// Outward mail centre: item accepted ("We've got it").
    case itemAccepted = "EVOAC"
    /// Outward mail centre, automated acceptance.
    case outwardMailCentreAutomatedAcceptance = "EVDAV"
    /// Outward mail centre, handheld acceptance.
    case outwardMailCentreHandheldAcceptance = "EVDAC"
    /// Inward mail centre: on its way to the local delivery office.
    case inwardMailCentreAcceptance = "EVIMC"
    /// Delivery office, sorted and due for delivery today.
    case readyForDelivery = "EVGPD"
    case deliveredWithSignature = "EVKSP"
    case deliveredWithoutSignature = "EVKOP"
    case deliveredToSafePlace = "EVKSF"
    case deliveredToNeighbourWithSignature = "EVKNS"
    case deliveredToNeighbourWithoutSignature = "EVKDN"
    /// Delivery attempted, no answer.
    case deliveryAttemptedNoAnswer = "EVKNA"
    /// No answer; card left: the item is at the delivery office for collection or redelivery.
    case availableForCollectionNoAnswer = "EVNDA"
    /// The recipient booked a redelivery.
    case selectedForRedelivery = "EVNSR"
    case refusedReturnToSender = "EVKRF"
    case returnedToSender = "EVNRS"

    /// The code as Royal Mail sends it ("EVKSP"); refused when unknown.
    public init(code: String) throws(TrackingEventCodeError) {
        guard let known = TrackingEventCode(rawValue: code) else { throw TrackingEventCodeError(code: code) }
        self = known
    }

    /// Royal Mail's code: "EVKSP".
    public var code: String { rawValue }

    public var description: String { rawValue }

    /// What the scan means for the order.
    public var orderEvent: OrderEvent {
        switch self {
        case .itemAccepted, .outwardMailCentreAutomatedAcceptance, .outwardMailCentreHandheldAcceptance,
             .inwardMailCentreAcceptance:
            .inTransit
        case .readyForDelivery: .outForDelivery
        case .deliveredWithSignature, .deliveredWithoutSignature, .deliveredToSafePlace,
             .deliveredToNeighbourWithSignature, .deliveredToNeighbourWithoutSignature:
            .deliver
        case .deliveryAttemptedNoAnswer, .availableForCollectionNoAnswer: .failDelivery
        case .selectedForRedelivery: .arrangeRedelivery
        case .refusedReturnToSender, .returnedToSender: .returnToSender
        }
    }
}
