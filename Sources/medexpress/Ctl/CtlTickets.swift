import ClientKit
import Glibc
import Trust

/// `ctl tickets`: the support team's tickets (SupportService): the list, one ticket with its
/// conversation, and assign, reply, escalate, resolve.
struct CtlTickets {
    /// Tickets asked for per page, and at most in one listing.
    static let pageSize: Int32 = 100
    static let maxTickets = 10_000
    /// The named reply templates the server renders (ReplyRequest.template).
    static let templates = ["order_confirmation", "delivery_delay", "side_effect_guidance", "refund_processed"]

    enum Action {
        case list(states: [Medexpress_V1_TicketState], mine: Bool, csv: Bool)
        case show(ticketID: String)
        case assign(ticketID: String, agentID: String)
        case reply(ticketID: String, body: Medexpress_V1_ReplyRequest.OneOf_Body, awaitCustomer: Bool)
        case escalate(ticketID: String, target: Medexpress_V1_EscalationTarget, note: String)
        case resolve(ticketID: String, resolution: String)
    }

    let action: Action

    init(_ words: ArraySlice<String>, _ arguments: inout Arguments) throws(UsageError) {
        guard let first = words.first else {
            let states = try arguments.string("state").map { (text: String) throws(UsageError) in try Self.states(text) } ?? []
            action = .list(states: states, mine: arguments.flag("mine"), csv: arguments.flag("csv"))
            return
        }
        guard let ticketID = words.dropFirst().first else {
            throw UsageError("tickets \(first) needs TICKET_ID")
        }
        try CtlCommand.requireNoMoreWords(words.dropFirst(2))
        switch first {
        case "show":
            action = .show(ticketID: ticketID)
        case "assign":
            action = .assign(ticketID: ticketID, agentID: arguments.string("to", default: ""))
        case "reply":
            let text = arguments.string("text")
            let template = arguments.string("template")
            let body: Medexpress_V1_ReplyRequest.OneOf_Body
            switch (text, template) {
            case (let text?, nil):
                guard !text.isEmpty else { throw UsageError("tickets reply: --text must not be empty") }
                body = .text(text)
            case (nil, let template?):
                guard Self.templates.contains(template) else {
                    throw UsageError("tickets reply: --template \(template) is not a template; one of \(Self.templates.joined(separator: ", "))")
                }
                body = .template(template)
            default:
                throw UsageError("tickets reply TICKET_ID needs --text T or --template NAME (one of them)")
            }
            action = .reply(ticketID: ticketID, body: body, awaitCustomer: arguments.flag("await-customer"))
        case "escalate":
            let target: Medexpress_V1_EscalationTarget
            switch arguments.string("to") {
            case "prescriber"?: target = .escalateToPrescriber
            case "pharmacy"?: target = .escalateToPharmacy
            default: throw UsageError("tickets escalate TICKET_ID needs --to prescriber|pharmacy")
            }
            guard let note = arguments.string("note"), !note.isEmpty else {
                throw UsageError("tickets escalate TICKET_ID needs --note N (what is asked)")
            }
            action = .escalate(ticketID: ticketID, target: target, note: note)
        case "resolve":
            guard let resolution = arguments.string("resolution"), !resolution.isEmpty else {
                throw UsageError("tickets resolve TICKET_ID needs --resolution R")
            }
            action = .resolve(ticketID: ticketID, resolution: resolution)
        default:
            throw UsageError("tickets takes show, assign, reply, escalate or resolve, not \(first)")
        }
    }

    func run(_ session: CtlSession, certificateFile: String) async throws {
        let support = Medexpress_V1_SupportServiceClient(channel: session.channel)
        switch action {
        case .list(let states, let mine, let csv):
            let assignedTo = mine ? try await Self.ownStaffID(session, certificateFile: certificateFile) : ""
            var tickets: [Medexpress_V1_Ticket] = []
            var token = ""
            repeat {
                let page = try await session.call("list tickets", needs: "ADMIN") {
                    try await support.listTickets(.with {
                        $0.states = states
                        $0.assignedTo = assignedTo
                        $0.pageSize = Self.pageSize
                        $0.pageToken = token
                    })
                }
                tickets += page.tickets
                token = page.nextPageToken
            } while !token.isEmpty && tickets.count < Self.maxTickets

            var table = CtlTable(["TICKET", "OPENED", "STATE", "CATEGORY", "SUBJECT", "ASSIGNED TO"])
            for ticket in tickets {
                table.append([ticket.id, CtlFormat.time(ticket.openedAt), Self.state(ticket.state), Self.category(ticket.category),
                              ticket.subject, ticket.assignedTo.isEmpty ? "-" : ticket.assignedTo])
            }
            if csv {
                printLine(table.csv())
            } else {
                printLine(table.text())
                printLine("\(tickets.count) ticket(s)\(token.isEmpty ? "" : "; more beyond these")")
            }
        case .show(let ticketID):
            let ticket = try await session.call("show ticket \(ticketID)", needs: "ADMIN") {
                try await support.getTicket(.with { $0.ticketId = ticketID })
            }
            Self.printTicket(ticket)
        case .assign(let ticketID, let agentID):
            let ticket = try await session.call("assign \(ticketID)", needs: "ADMIN") {
                try await support.assignTicket(.with {
                    $0.requestId = CtlSession.requestID()
                    $0.ticketId = ticketID
                    $0.agentId = agentID
                })
            }
            printLine("assigned \(ticket.id) to \(ticket.assignedTo): ticket \(Self.state(ticket.state))")
        case .reply(let ticketID, let body, let awaitCustomer):
            let ticket = try await session.call("reply to \(ticketID)", needs: "ADMIN") {
                try await support.reply(.with {
                    $0.requestId = CtlSession.requestID()
                    $0.ticketId = ticketID
                    $0.body = body
                    $0.awaitCustomer = awaitCustomer
                })
            }
            let sent = ticket.messages.last(where: { !$0.internal && $0.authorRole != .customer })
            printLine("replied to \(ticket.id) (emailed to the customer): ticket \(Self.state(ticket.state))")
            if let sent {
                printLine((sent.template.isEmpty ? "" : "[template \(sent.template)] ") + sent.text)
            }
        case .escalate(let ticketID, let target, let note):
            let ticket = try await session.call("escalate \(ticketID)", needs: "ADMIN") {
                try await support.escalate(.with {
                    $0.requestId = CtlSession.requestID()
                    $0.ticketId = ticketID
                    $0.target = target
                    $0.note = note
                })
            }
            printLine("escalated \(ticket.id) to the \(target == .escalateToPrescriber ? "prescriber" : "pharmacy"): ticket \(Self.state(ticket.state))")
        case .resolve(let ticketID, let resolution):
            let ticket = try await session.call("resolve \(ticketID)", needs: "ADMIN") {
                try await support.resolveTicket(.with {
                    $0.requestId = CtlSession.requestID()
                    $0.ticketId = ticketID
                    $0.resolution = resolution
                })
            }
            printLine("resolved \(ticket.id): ticket \(Self.state(ticket.state)) at \(CtlFormat.time(ticket.resolvedAt))")
        }
    }

    private static func printTicket(_ ticket: Medexpress_V1_Ticket) {
        var facts = CtlTable(["", ""])
        facts.append(["ticket", ticket.id])
        facts.append(["subject", ticket.subject])
        facts.append(["state", state(ticket.state) + (ticket.escalatedTo == .unspecified ? "" : " (\(ticket.escalatedTo.protoName))")])
        facts.append(["category", category(ticket.category)])
        facts.append(["channel", ticket.channel.protoName])
        facts.append(["customer", ticket.customerId])
        facts.append(["order", ticket.orderId.isEmpty ? "-" : ticket.orderId])
        facts.append(["assigned to", ticket.assignedTo.isEmpty ? "-" : ticket.assignedTo])
        facts.append(["opened", CtlFormat.time(ticket.openedAt)])
        facts.append(["first response", CtlFormat.time(ticket.firstResponseAt)])
        if (ticket.resolvedAt?.seconds ?? 0) != 0 { facts.append(["resolved", CtlFormat.time(ticket.resolvedAt)]) }
        printLine(facts.rowsText())
        printLine("\nconversation (oldest first; [internal] never shown to the customer)")
        for message in ticket.messages {
            let author = message.authorRole.protoName + (message.authorId.isEmpty ? "" : " \(message.authorId)")
            let marks = (message.internal ? " [internal]" : "") + (message.template.isEmpty ? "" : " [template \(message.template)]")
            printLine("#\(message.sequence) \(CtlFormat.time(message.at)) \(author)\(marks):")
            for line in message.text.split(separator: "\n", omittingEmptySubsequences: false) { printLine("    " + line) }
        }
        if ticket.messages.isEmpty { printLine("(no messages)") }
    }

    /// `open` for TICKET_OPEN, `pending` for TICKET_PENDING_CUSTOMER, and so on.
    static func state(_ state: Medexpress_V1_TicketState) -> String {
        switch state {
        case .ticketOpen: return "open"
        case .ticketPendingCustomer: return "pending"
        case .ticketEscalated: return "escalated"
        case .ticketResolved: return "resolved"
        default: return state.protoName
        }
    }

    static func category(_ category: Medexpress_V1_TicketCategory) -> String {
        switch category {
        case .ticketDelivery: return "delivery"
        case .ticketSideEffects: return "side effects"
        case .ticketOrder: return "order"
        case .ticketOther: return "other"
        default: return category.protoName
        }
    }

    /// The states named in `text` (comma-separated: `open,pending`).
    static func states(_ text: String) throws(UsageError) -> [Medexpress_V1_TicketState] {
        let known: [Medexpress_V1_TicketState] = [.ticketOpen, .ticketPendingCustomer, .ticketEscalated, .ticketResolved]
        var states: [Medexpress_V1_TicketState] = []
        for name in text.split(separator: ",") {
            guard let found = known.first(where: { state($0) == name.lowercased() }) else {
                throw UsageError("--state \(name) is not a ticket state; one of open, pending, escalated, resolved")
            }
            states.append(found)
        }
        return states
    }

    /// The caller's own staff id ("stf_…"), for --mine: the server tells no one who they are, but
    /// the audit log records each sign-in with the thumbprint of the client certificate used, and
    /// ctl holds that certificate. The newest sign-ins come first; this run's own is among them.
    static func ownStaffID(_ session: CtlSession, certificateFile: String) async throws -> String {
        let thumbprint = try certificateThumbprint(certificateFile)
        let admin = Medexpress_V1_AdminServiceClient(channel: session.channel)
        var token = ""
        for _ in 0..<10 {
            let page = try await session.call("find your staff id (--mine)", needs: "ADMIN") {
                try await admin.queryAuditLog(.with {
                    $0.action = "login"
                    $0.pageSize = 500
                    $0.pageToken = token
                })
            }
            if let entry = page.entries.first(where: { $0.certificateThumbprint == thumbprint && $0.actor.hasPrefix("stf_") }) {
                return entry.actor
            }
            token = page.nextPageToken
            if token.isEmpty { break }
        }
        throw CtlFailure("--mine: cannot tell your staff id (no sign-in with \(certificateFile) in the audit log); list with no --mine and look for your id")
    }

    /// The SHA-256 (hex) of the first certificate's DER in a PEM file, as the server records it.
    private static func certificateThumbprint(_ path: String) throws -> String {
        guard let file = fopen(path, "r") else {
            throw CtlFailure("cannot read \(path), your client certificate (--cert): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var text = ""
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            text += String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters() }
        guard let begin = lines.firstIndex(of: "-----BEGIN CERTIFICATE-----"),
              let end = lines[begin...].firstIndex(of: "-----END CERTIFICATE-----"),
              let der = Base64.decode(lines[(begin + 1)..<end].joined()) else {
            throw CtlFailure("\(path) holds no PEM certificate")
        }
        return Hex.encode(Digest.sha256(der))
    }
}

private extension Substring {
    func trimmingCharacters() -> String {
        String(drop(while: { $0 == " " || $0 == "\r" || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\r" || $0 == "\t" }).reversed())
    }
}
