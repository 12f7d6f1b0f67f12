import Domain

/// Who the emails come from, the domain of their message ids, and where GP letters go.
public struct MailSettings: Sendable {
    public var from: EmailAddress
    /// The right-hand side of every Message-ID ("<order id>.<kind>@<domain>").
    public var domain: String
    /// The mailbox that sends GP letters on (the clinical team's, which forwards them to practices
    /// by NHSmail or post): a customer gives a practice name and address, not an email address.
    public var gpLetters: EmailAddress

    public init(from: EmailAddress = EmailAddress("orders@medexpress.example", name: "MedExpress"), domain: String = "medexpress.example",
                gpLetters: EmailAddress = EmailAddress("gp-letters@medexpress.example", name: "MedExpress clinical team")) {
        self.from = from
        self.domain = domain
        self.gpLetters = gpLetters
    }
}
