/// Where a support ticket stands (support.proto, `TicketState`). The raw value is the name used in
/// messages ("ticket is RESOLVED: …").
public enum TicketState: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// With the support team.
    case open = "OPEN"
    /// Support replied and waits for the customer's answer.
    case pendingCustomer = "PENDING_CUSTOMER"
    /// With a prescriber or the pharmacy.
    case escalated = "ESCALATED"
    case resolved = "RESOLVED"

    public var description: String { rawValue }

    /// The state after `event`; an event the state does not allow is refused with a message that
    /// names the state. The only way a ticket moves.
    ///
    /// A customer is never refused: their message on a resolved ticket reopens it (people answer
    /// old emails), and on a ticket waiting for them puts it back with the team. Staff do not
    /// write on a resolved ticket: that would email a customer about a closed matter.
    public func applying(_ event: TicketEvent) throws(TicketTransitionError) -> TicketState {
        switch (self, event) {
        case (.open, .staffReply(let awaitingCustomer)), (.pendingCustomer, .staffReply(let awaitingCustomer)):
            return awaitingCustomer ? .pendingCustomer : .open
        // The escalation still waits for its answer, which is not the customer's to give.
        case (.escalated, .staffReply(awaitingCustomer: false)): return .escalated
        case (.open, .staffChatMessage), (.pendingCustomer, .staffChatMessage), (.escalated, .staffChatMessage): return self
        case (.pendingCustomer, .customerMessage), (.resolved, .customerMessage): return .open
        case (.open, .customerMessage), (.escalated, .customerMessage): return self
        case (.open, .assign), (.pendingCustomer, .assign), (.escalated, .assign): return self
        case (.open, .escalate), (.pendingCustomer, .escalate): return .escalated
        case (.escalated, .answerEscalation): return .open
        case (.open, .resolve), (.pendingCustomer, .resolve), (.escalated, .resolve): return .resolved
        default:
            throw TicketTransitionError(from: self, event: event)
        }
    }
}
