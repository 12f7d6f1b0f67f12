import Domain
import Generated
import Store
import Trust

/// Customer emails queued in the transaction of the change they announce: sent after it commits,
/// never for one that rolled back (ARCHITECTURE.md, Outbox).
enum Notices {
    /// Queues the email `build` makes for the customer (given their first name) in `tx`.
    static func email(customer customerID: String, about reference: String, journey: Journey, outbox: Outbox, now: Int64,
                      in tx: any WriteTransaction, _ build: (_ givenName: String) -> CustomerEmail) throws {
        guard let row = try tx.query("SELECT given_name, family_name, email FROM customers WHERE id = $1", [.text(customerID)]).first else {
            return
        }
        let cipher = journey.vault.cipher
        func open(_ column: String) throws -> String {
            try cipher.openString(try row.bytes(column), context: FieldContext(table: "customers", column: column, row: customerID))
        }
        let givenName = try open("given_name")
        let to = EmailAddress(try open("email"), name: givenName + " " + (try open("family_name")))
        let message = build(givenName).message(from: journey.mail.from, to: to, domain: journey.mail.domain)
        try outbox.enqueue(.email(subject: reference, message), now: now, in: tx)
    }

    /// The quote's lines as the email lists them.
    static func lines(_ quote: Medexpress_V1_Quote) -> [QuoteLine] {
        quote.lines.map { line in
            let kind: QuoteLine.Kind = switch line.kind {
            case .discount: .discount
            case .delivery: .delivery
            default: .medication
            }
            return QuoteLine(kind: kind, description: line.description, amountInPence: Pence(line.amount?.minorUnits ?? 0))
        }
    }

    static func total(_ order: OrderRecord) -> Pence { Pence(order.quote.total?.minorUnits ?? 0) }
}
