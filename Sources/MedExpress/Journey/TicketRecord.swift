import Domain
import Generated
import RPCCore
import Store
import Trust

/// A support ticket as stored, with its sealed subject opened. Every change goes through
/// `record(_:by:message:now:in:cipher:)`: one conditional update on the message count and the
/// state, so of two changes made at the same moment one wins and messages get distinct numbers.
struct TicketRecord: Sendable {
    let id: String
    let customerID: String
    let orderID: String?
    let category: Medexpress_V1_TicketCategory
    let state: TicketState
    let channel: Medexpress_V1_TicketChannel
    let subject: String
    let assignedTo: String?
    let escalatedTo: Medexpress_V1_EscalationTarget
    let messageCount: Int64
    /// Replies emailed to the customer so far: numbers each reply's email.
    let replyCount: Int64
    let openedAt: Int64
    let firstResponseAt: Int64?
    let escalatedAt: Int64?
    let resolvedAt: Int64?

    /// The longest message, note or answer on a ticket.
    static let maxTextCharacters = 2000
    /// The longest subject.
    static let maxSubjectCharacters = 200
    /// The most messages one ticket holds: its whole conversation then fits one 4 MiB gRPC message
    /// even at four bytes a character (400 × 2,000 × 4 = 3.2 MB). A longer matter is a new ticket.
    static let maxMessages: Int64 = 400

    static let columns = """
        id, customer_id, order_id, category, state, channel, subject, assigned_to, escalated_to, message_count, reply_count,
        opened_at_us, first_response_at_us, escalated_at_us, resolved_at_us
        """

    init(_ row: SQLRow, cipher: FieldCipher) throws {
        id = try row.string("id")
        customerID = try row.string("customer_id")
        orderID = try row.optionalString("order_id")
        category = Medexpress_V1_TicketCategory(rawValue: Int32(truncatingIfNeeded: try row.int64("category")))
        state = try Self.state(stored: try row.int64("state"))
        channel = Medexpress_V1_TicketChannel(rawValue: Int32(truncatingIfNeeded: try row.int64("channel")))
        subject = try cipher.openString(try row.bytes("subject"), context: FieldContext(table: "tickets", column: "subject", row: id))
        assignedTo = try row.optionalString("assigned_to")
        escalatedTo = Medexpress_V1_EscalationTarget(rawValue: Int32(truncatingIfNeeded: try row.int64("escalated_to")))
        messageCount = try row.int64("message_count")
        replyCount = try row.int64("reply_count")
        openedAt = try row.int64("opened_at_us")
        firstResponseAt = try row.optionalInt64("first_response_at_us")
        escalatedAt = try row.optionalInt64("escalated_at_us")
        resolvedAt = try row.optionalInt64("resolved_at_us")
    }

    /// The ticket `id` if it belongs to `customerID` (any ticket when nil); nil otherwise, so another
    /// customer's ticket looks exactly like one that does not exist.
    static func load(_ id: String, ownedBy customerID: String?, in tx: any ReadTransaction, cipher: FieldCipher) throws -> TicketRecord? {
        guard OpaqueID.isWellFormed(id, prefix: .ticket) else { return nil }
        guard let row = try tx.query("SELECT \(columns) FROM tickets WHERE id = $1", [.text(id)]).first else { return nil }
        let record = try TicketRecord(row, cipher: cipher)
        if let customerID, record.customerID != customerID { return nil }
        return record
    }

    /// NOT_FOUND unless the ticket exists and, with `customerID`, is theirs.
    static func require(_ id: String, ownedBy customerID: String?, in tx: any ReadTransaction, cipher: FieldCipher) throws -> TicketRecord {
        guard !id.isEmpty else { throw Status(.invalidArgument, "ticket_id: which ticket is needed") }
        guard let record = try load(id, ownedBy: customerID, in: tx, cipher: cipher) else {
            throw Status(.notFound, "ticket \(id.prefix(64)) not found")
        }
        return record
    }

    /// What a new ticket is.
    struct Opening: Sendable {
        let customerID: String
        let orderID: String?
        let category: Medexpress_V1_TicketCategory
        let channel: Medexpress_V1_TicketChannel
        let subject: String
        /// The customer's words, or staff's summary of a call.
        let firstMessage: String
    }

    /// Stores a new OPEN ticket `id` with its first message, written by `author`.
    static func open(_ id: String, _ opening: Opening, author: Caller, now: Int64, in tx: any WriteTransaction,
                     cipher: FieldCipher) throws {
        try tx.execute("""
            INSERT INTO tickets (id, customer_id, order_id, category, state, channel, subject, message_count, opened_at_us, updated_at_us)
            VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8)
            """, [.text(id), .text(opening.customerID), opening.orderID.map { .text($0) } ?? .null,
                  .integer(Int64(opening.category.rawValue)), .integer(Self.stored(.open)), .integer(Int64(opening.channel.rawValue)),
                  .blob(cipher.seal(opening.subject, context: FieldContext(table: "tickets", column: "subject", row: id))), .integer(now)])
        try insertMessage(NewMessage(text: opening.firstMessage), ticket: id, sequence: 1, author: author, now: now, in: tx, cipher: cipher)
    }

    /// A message written with a change.
    struct NewMessage: Sendable {
        let text: String
        /// Staff only: never shown to the customer.
        var isInternal = false
        /// The template a reply was rendered from, or "".
        var template = ""
    }

    /// Moves the ticket by `event` and adds `message` (when given) as the next in its conversation:
    /// FAILED_PRECONDITION naming the state when the event is not allowed there, ABORTED when another
    /// change won the race. `assignee` and `target` go with `.assign` and `.escalate`. Returns the
    /// new state and the message's sequence (0 without one).
    @discardableResult
    func record(_ event: TicketEvent, by author: Caller, message: NewMessage?, assignee: String? = nil,
                target: Medexpress_V1_EscalationTarget? = nil, now: Int64, in tx: any WriteTransaction,
                cipher: FieldCipher) throws -> (state: TicketState, sequence: Int64) {
        let next: TicketState
        do {
            next = try state.applying(event)
        } catch {
            throw Status(.failedPrecondition, error.description)
        }
        if message != nil && messageCount >= Self.maxMessages {
            throw Status(.failedPrecondition, "ticket \(id) holds \(Self.maxMessages) messages, the most one may; open a new ticket")
        }
        let sequence = message == nil ? messageCount : messageCount + 1
        var firstResponse = firstResponseAt
        var replies = replyCount
        var escalated = escalatedAt
        var resolved = resolvedAt
        switch event {
        case .staffReply:
            firstResponse = firstResponse ?? now
            replies += 1
        case .staffChatMessage: firstResponse = firstResponse ?? now
        case .escalate: escalated = now
        case .resolve: resolved = now
        case .customerMessage, .assign, .answerEscalation: break
        }
        if next != .resolved { resolved = nil }
        guard try tx.execute("""
            UPDATE tickets SET state = $1, message_count = $2, reply_count = $3, assigned_to = $4, escalated_to = $5,
                               first_response_at_us = $6, escalated_at_us = $7, resolved_at_us = $8, updated_at_us = $9
            WHERE id = $10 AND message_count = $11 AND state = $12
            """, [.integer(Self.stored(next)), .integer(sequence), .integer(replies), (assignee ?? assignedTo).map { .text($0) } ?? .null,
                  .integer(Int64((target ?? escalatedTo).rawValue)), firstResponse.map { .integer($0) } ?? .null,
                  escalated.map { .integer($0) } ?? .null, resolved.map { .integer($0) } ?? .null, .integer(now),
                  .text(id), .integer(messageCount), .integer(Self.stored(state))]) == 1 else {
            throw Status(.aborted, "ticket \(id) changed at the same moment; read it again and retry")
        }
        guard let message else { return (next, 0) }
        try Self.insertMessage(message, ticket: id, sequence: sequence, author: author, now: now, in: tx, cipher: cipher)
        return (next, sequence)
    }

    private static func insertMessage(_ message: NewMessage, ticket: String, sequence: Int64, author: Caller, now: Int64,
                                      in tx: any WriteTransaction, cipher: FieldCipher) throws {
        let rowID = messageRowID(ticket: ticket, sequence: sequence)
        try tx.execute("""
            INSERT INTO ticket_messages (id, ticket_id, seq, author_id, author_role, text, internal, template, at_us)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """, [.text(rowID), .text(ticket), .integer(sequence), .text(author.subjectID), .integer(Int64(author.role.rawValue)),
                  .blob(cipher.seal(message.text, context: FieldContext(table: "ticket_messages", column: "text", row: rowID))),
                  .integer(message.isInternal ? 1 : 0), .text(message.template), .integer(now)])
    }

    /// "tkt_…/000042": the message row's id, which its sealed text is bound to.
    static func messageRowID(ticket: String, sequence: Int64) -> String {
        let digits = String(sequence)
        return ticket + "/" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// Up to `limit` messages of the ticket after `sequence`, oldest first; without the internal ones unless
    /// `includingInternal` (staff).
    static func messages(of ticketID: String, after sequence: Int64, includingInternal: Bool, limit: Int = Int(maxMessages),
                         in tx: any ReadTransaction, cipher: FieldCipher) throws -> [Medexpress_V1_TicketMessage] {
        try tx.query("""
            SELECT id, seq, author_id, author_role, text, internal, template, at_us FROM ticket_messages
            WHERE ticket_id = $1 AND seq > $2 AND ($3 = 1 OR internal = 0) ORDER BY seq LIMIT $4
            """, [.text(ticketID), .integer(sequence), .integer(includingInternal ? 1 : 0), .integer(Int64(limit))]).map { row in
            var message = Medexpress_V1_TicketMessage()
            message.sequence = try row.int64("seq")
            message.authorId = try row.string("author_id")
            message.authorRole = Medexpress_V1_Role(rawValue: Int32(truncatingIfNeeded: try row.int64("author_role")))
            message.text = try cipher.openString(try row.bytes("text"),
                                                 context: FieldContext(table: "ticket_messages", column: "text", row: try row.string("id")))
            message.at = Timestamps.timestamp(microseconds: try row.int64("at_us"))
            message.`internal` = try row.int64("internal") == 1
            message.template = try row.string("template")
            return message
        }
    }

    /// The ticket as the API gives it, with `messages` (none in lists).
    func message(with messages: [Medexpress_V1_TicketMessage] = []) -> Medexpress_V1_Ticket {
        var ticket = Medexpress_V1_Ticket()
        ticket.id = id
        ticket.customerId = customerID
        ticket.orderId = orderID ?? ""
        ticket.category = category
        ticket.state = Self.message(state)
        ticket.channel = channel
        ticket.subject = subject
        ticket.assignedTo = assignedTo ?? ""
        ticket.escalatedTo = escalatedTo
        ticket.openedAt = Timestamps.timestamp(microseconds: openedAt)
        if let firstResponseAt { ticket.firstResponseAt = Timestamps.timestamp(microseconds: firstResponseAt) }
        if let resolvedAt { ticket.resolvedAt = Timestamps.timestamp(microseconds: resolvedAt) }
        ticket.messages = messages
        return ticket
    }

    /// The wire's state for `state`; the store keeps its `medexpress.v1.TicketState` number.
    static func message(_ state: TicketState) -> Medexpress_V1_TicketState {
        switch state {
        case .open: .ticketOpen
        case .pendingCustomer: .ticketPendingCustomer
        case .escalated: .ticketEscalated
        case .resolved: .ticketResolved
        }
    }

    static func stored(_ state: TicketState) -> Int64 { Int64(message(state).rawValue) }

    static func state(stored value: Int64) throws(StoreError) -> TicketState {
        switch Medexpress_V1_TicketState(rawValue: Int32(truncatingIfNeeded: value)) {
        case .ticketOpen: .open
        case .ticketPendingCustomer: .pendingCustomer
        case .ticketEscalated: .escalated
        case .ticketResolved: .resolved
        default: throw StoreError.schema("tickets.state holds \(value), which is no ticket state")
        }
    }
}
