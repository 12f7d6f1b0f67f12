/// The seam to email delivery. A message carries its own id, so a message sent twice (delivery
/// is at least once) can be recognised by the recipient's mail system.
public protocol EmailSender: Sendable {
    func send(_ message: EmailMessage) async throws(EmailError)
}

/// One plain-text email.
public struct EmailMessage: Hashable, Sendable {
    /// The RFC 5322 Message-ID without angle brackets ("ord_…-confirmation@medexpress.example").
    public let messageID: String
    public let from: EmailAddress
    public let to: EmailAddress
    public let subject: String
    /// UTF-8 text; lines end with "\n" (the sender converts to CRLF).
    public let body: String

    public init(messageID: String, from: EmailAddress, to: EmailAddress, subject: String, body: String) {
        self.messageID = messageID
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
    }
}

/// A mailbox: an address and an optional display name.
public struct EmailAddress: Hashable, Sendable {
    public let address: String
    public let name: String

    public init(_ address: String, name: String = "") {
        self.address = address
        self.name = name
    }
}

/// Why a message was not delivered.
public enum EmailError: Error, Hashable, Sendable {
    /// The server refused it for good (5xx: no such mailbox); retrying will not help.
    case rejected(String)
    /// The server could not be reached or deferred it (4xx, network); retry later.
    case unavailable(String)
}
