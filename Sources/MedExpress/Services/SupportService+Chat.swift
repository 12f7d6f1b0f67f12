import Domain
import Generated
import RPCCore
import Store
import Synchronization
import Trust

extension SupportService {
    /// The most messages one caller may write on tickets in a minute, counted in the store: over
    /// all their chats and every server process. Typing is slower; a script is not.
    static let maxChatMessagesPerMinute = 30
    /// The minute of `maxChatMessagesPerMinute`.
    static let chatRateWindowMicroseconds: Int64 = 60_000_000
    /// Messages sent to a chat per store read while it catches up.
    static let chatBatchSize = 100

    /// Live chat on a ticket. The client's first message names the ticket and the last sequence it
    /// saw (0 for all); the server sends every message after it (a customer never sees internal
    /// ones), then each new one as it is written, its own included: that echo, with its sequence,
    /// acknowledges a message. Meanwhile the client's messages are added to the ticket, one audit
    /// entry ("ticket.message") each, which is what wakes the other side's stream. When the client
    /// half-closes, what is pending is sent and the call ends. A customer may also start a chat
    /// with no ticket: the first message's text then opens a ticket on the CHAT channel, and the
    /// echo of that message tells the client the new ticket's id.
    public func chat(_ requests: RequestStream<Medexpress_V1_ChatMessage>, responses: ResponseWriter<Medexpress_V1_ChatMessage>,
                     context: ServerContext) async throws {
        let caller = try context.requireCaller()
        // The request stream hands its messages, in order, to whichever iterator asks: the reader
        // below carries on after this first one.
        var opening = requests.makeAsyncIterator()
        guard var first = try await opening.next() else { return }
        let customerID: String? = caller.role == .customer ? caller.subjectID : nil
        let now = journey.clock()
        let cipher = journey.vault.cipher
        let dialect = journey.store.dialect
        if first.ticketId.isEmpty, let customerID, !first.text.isEmpty {
            first.ticketId = try await openFromChat(first.text, by: caller, customerID: customerID, now: now)
            first.text = ""
            first.sequence = 0
        }
        guard first.text.isEmpty, first.sequence >= 0 else {
            throw Status(.invalidArgument, "the first message names the ticket (ticket_id) and the last sequence seen (0 for all); text follows it")
        }
        let ticketID = first.ticketId
        let resumeAfter = first.sequence
        if let customerID {
            _ = try await journey.store.read { tx in try TicketRecord.require(ticketID, ownedBy: customerID, in: tx, cipher: cipher) }
        } else {
            try await journey.store.write { tx in
                let ticket = try TicketRecord.require(ticketID, ownedBy: nil, in: tx, cipher: cipher)
                try AuditLog.append(AuditEntry(caller, at: now, method: Method.chat.descriptor.path, resource: ticket.id,
                                               action: "health_data.read", detail: "chat on the ticket of \(ticket.customerID)"),
                                    in: tx, dialect: dialect)
            }
        }
        // Taken before the first read of the conversation, so no message slips between the two.
        let cursor = try await journey.feed.latest()
        let halfClosed = HalfClose()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await message in requests {
                    try await post(message, on: ticketID, by: caller)
                }
                halfClosed.mark()
            }
            group.addTask {
                try await deliver(ticketID, after: resumeAfter, cursor: cursor, internalToo: customerID == nil, to: responses,
                                  halfClosed: halfClosed)
            }
            // Not `waitForAll`, which waits for the other side even after one failed: the first
            // failure ends the call, and leaving the group cancels the other.
            while try await group.next() != nil {}
        }
    }

    /// Adds a chat message from `caller` to the ticket: a customer's own ticket only, at most
    /// `maxChatMessagesPerMinute`.
    private func post(_ message: Medexpress_V1_ChatMessage, on ticketID: String, by caller: Caller) async throws {
        guard message.ticketId.isEmpty || message.ticketId == ticketID else {
            throw Status(.invalidArgument, "ticket_id: a chat stays on the ticket its first message named")
        }
        let text = try checkedText(message.text, field: "text", maxCharacters: TicketRecord.maxTextCharacters)
        let customerID: String? = caller.role == .customer ? caller.subjectID : nil
        let now = journey.clock()
        let cipher = journey.vault.cipher
        let dialect = journey.store.dialect
        try await journey.store.write { tx in
            let recent = try tx.query("SELECT COUNT(*) AS recent FROM ticket_messages WHERE author_id = $1 AND at_us > $2",
                                      [.text(caller.subjectID), .integer(now - Self.chatRateWindowMicroseconds)]).first?.int64("recent") ?? 0
            guard recent < Int64(Self.maxChatMessagesPerMinute) else {
                throw Status(.resourceExhausted,
                             "at most \(Self.maxChatMessagesPerMinute) messages a minute; wait a minute and reconnect with the last sequence seen")
            }
            let ticket = try TicketRecord.require(ticketID, ownedBy: customerID, in: tx, cipher: cipher)
            let event: TicketEvent = customerID == nil ? .staffChatMessage : .customerMessage
            let (state, sequence) = try ticket.record(event, by: caller, message: .init(text: text), now: now, in: tx, cipher: cipher)
            try AuditLog.append(AuditEntry(caller, at: now, method: Method.chat.descriptor.path, resource: ticket.id, action: "ticket.message",
                                           detail: "sequence=\(sequence) state=\(state)"),
                                in: tx, dialect: dialect)
        }
    }

    /// Sends the ticket's messages after `sequence`, then each new one as the change feed announces
    /// it, until `halfClosed` says the client has finished: then what is pending, and return.
    private func deliver(_ ticketID: String, after sequence: Int64, cursor: Int64, internalToo: Bool,
                         to responses: ResponseWriter<Medexpress_V1_ChatMessage>, halfClosed: HalfClose) async throws {
        let feed = journey.feed
        var sent = sequence
        var cursor = cursor
        var pending = true
        while !Task.isCancelled {
            let finishing = halfClosed.isMarked
            if pending || finishing {
                sent = try await send(ticketID, after: sent, internalToo: internalToo, to: responses)
                pending = false
            }
            if finishing { return }
            let seen = feed.generation
            let (changes, next) = try await feed.changes(after: cursor, actionPrefixes: ["ticket."])
            let readNothing = next == cursor
            cursor = next
            if changes.contains(where: { $0.resource == ticketID }) {
                pending = true
            } else if readNothing {
                // Whichever comes first: a commit, or the client half-closing (not a commit).
                try await withThrowingTaskGroup(of: Void.self) { waiting in
                    waiting.addTask { try await feed.wait(since: seen) }
                    waiting.addTask { try await halfClosed.wait() }
                    _ = try await waiting.next()
                    waiting.cancelAll()
                }
            }
        }
    }

    /// Sends every message after `sequence` in batches; returns the last sequence sent.
    private func send(_ ticketID: String, after sequence: Int64, internalToo: Bool,
                      to responses: ResponseWriter<Medexpress_V1_ChatMessage>) async throws -> Int64 {
        let cipher = journey.vault.cipher
        var sent = sequence
        while true {
            let after = sent
            let batch = try await journey.store.read { tx in
                try TicketRecord.messages(of: ticketID, after: after, includingInternal: internalToo, limit: Self.chatBatchSize,
                                          in: tx, cipher: cipher)
            }
            for message in batch {
                try await responses.write(.with {
                    $0.ticketId = ticketID
                    $0.sequence = message.sequence
                    $0.text = message.text
                    $0.authorRole = message.authorRole
                    $0.authorId = message.authorId
                    $0.at = message.at
                })
                sent = message.sequence
            }
            if batch.count < Self.chatBatchSize { return sent }
        }
    }
}

/// Whether a chat's client has half-closed: set by the reader, read by the writer.
private final class HalfClose: Sendable {
    private let closed = Mutex(false)

    var isMarked: Bool { closed.withLock { $0 } }

    func mark() { closed.withLock { $0 = true } }

    /// Returns once marked; throws CancellationError when the task is cancelled.
    func wait() async throws {
        while !isMarked { try await Task.sleep(for: .milliseconds(20)) }
    }
}

extension SupportService {
    /// Opens a ticket from a customer's first chat message (channel CHAT, category OTHER, the
    /// subject the message's start); returns its id.
    private func openFromChat(_ text: String, by caller: Caller, customerID: String, now: Int64) async throws -> String {
        let body = try checkedText(text, field: "text", maxCharacters: TicketRecord.maxTextCharacters)
        let subject = "Chat: " + String(body.prefix(TicketRecord.maxSubjectCharacters - 6))
        let cipher = journey.vault.cipher
        let dialect = journey.store.dialect
        let id = OpaqueID.make(prefix: .ticket)
        try await journey.store.write { tx in
            try TicketRecord.open(id, .init(customerID: customerID, orderID: nil, category: .ticketOther, channel: .chat,
                                            subject: subject, firstMessage: body),
                                  author: caller, now: now, in: tx, cipher: cipher)
            try AuditLog.append(AuditEntry(caller, at: now, method: Method.chat.descriptor.path, resource: id, action: "ticket.opened",
                                           detail: "category=TICKET_OTHER channel=CHAT order=none"),
                                in: tx, dialect: dialect)
        }
        return id
    }
}
