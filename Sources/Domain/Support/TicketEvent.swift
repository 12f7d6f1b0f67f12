/// Something that happens to a support ticket: a message from either side, or a step the support
/// team or a prescriber takes.
public enum TicketEvent: Hashable, Sendable, CustomStringConvertible {
    /// Support replies to the customer (emailed); with `awaitingCustomer` the ticket waits for them.
    case staffReply(awaitingCustomer: Bool)
    /// Support writes in the live chat.
    case staffChatMessage
    /// The customer writes in the live chat.
    case customerMessage
    /// The ticket is given to a member of the support team.
    case assign
    /// Support asks a prescriber or the pharmacy.
    case escalate
    /// The prescriber answers what support asked.
    case answerEscalation
    case resolve

    public var description: String {
        switch self {
        case .staffReply(let awaiting): awaiting ? "staffReply(awaitingCustomer)" : "staffReply"
        case .staffChatMessage: "staffChatMessage"
        case .customerMessage: "customerMessage"
        case .assign: "assign"
        case .escalate: "escalate"
        case .answerEscalation: "answerEscalation"
        case .resolve: "resolve"
        }
    }
}
