/// An event the ticket's state does not allow (FAILED_PRECONDITION): the message names the state.
public struct TicketTransitionError: Error, Hashable, Sendable, CustomStringConvertible {
    public let from: TicketState
    public let event: TicketEvent

    public init(from: TicketState, event: TicketEvent) {
        self.from = from
        self.event = event
    }

    /// "ticket is RESOLVED: staff do not reply to a resolved ticket; …".
    public var description: String { "ticket is \(from.rawValue): \(reason)" }

    private var reason: String {
        switch event {
        case .staffReply, .staffChatMessage:
            return from == .resolved
                ? "staff do not write on a resolved ticket; the customer's next message reopens it"
                : "it waits for the prescriber or the pharmacy, not the customer; reply without awaiting the customer"
        case .customerMessage:
            return "a customer's message is always taken"
        case .assign:
            return "a resolved ticket is not assigned; the customer's next message reopens it"
        case .escalate:
            return from == .escalated ? "it is already escalated; wait for the answer" : "a resolved ticket cannot be escalated"
        case .answerEscalation:
            return "only an escalated ticket waits for an answer"
        case .resolve:
            return "it is already resolved"
        }
    }
}
