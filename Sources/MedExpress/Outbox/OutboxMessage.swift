import Domain

/// Work to do outside the database once a change has committed: written in the change's own
/// transaction, so nothing is done for a change that rolled back and nothing is lost for one
/// that committed.
public enum OutboxMessage: Sendable, Hashable {
    /// Release the payment hold of an order that will not be prescribed (cancelled, rejected).
    case releasePayment(orderID: String, paymentID: String)
    /// Take the authorised payment of an approved order.
    case capturePayment(orderID: String, paymentID: String, amountInPence: Int64)
    /// Pay back part or all of a captured payment: our refund `refundID` (a `refunds` row),
    /// refunded under the idempotency key "refund-" + `refundID`, so a retried delivery refunds once.
    case refundPayment(orderID: String, refundID: String, paymentID: String, amountInPence: Int64)
    /// Send an email (rendered when the change committed; `subject` is the order or ticket id).
    case email(subject: String, EmailMessage)

    /// The stored kind.
    var kind: String {
        switch self {
        case .releasePayment: "payment.release"
        case .capturePayment: "payment.capture"
        case .refundPayment: "payment.refund"
        case .email: "email"
        }
    }

    /// What the message is about (an order id): for the audit trail and for operators.
    var subject: String {
        switch self {
        case .releasePayment(let orderID, _), .capturePayment(let orderID, _, _), .refundPayment(let orderID, _, _, _): orderID
        case .email(let subject, _): subject
        }
    }

    /// The fields, length-prefixed so that any text round-trips.
    var payload: [UInt8] {
        switch self {
        case .releasePayment(let orderID, let paymentID): Self.encode([orderID, paymentID])
        case .capturePayment(let orderID, let paymentID, let amount): Self.encode([orderID, paymentID, String(amount)])
        case .refundPayment(let orderID, let refundID, let paymentID, let amount):
            Self.encode([orderID, refundID, paymentID, String(amount)])
        case .email(let subject, let message):
            Self.encode([subject, message.messageID, message.from.address, message.from.name, message.to.address, message.to.name,
                         message.subject, message.body])
        }
    }

    init(kind: String, payload: [UInt8]) throws(OutboxError) {
        let fields = try Self.decode(payload)
        switch (kind, fields.count) {
        case ("payment.release", 2): self = .releasePayment(orderID: fields[0], paymentID: fields[1])
        case ("payment.capture", 3):
            guard let amount = Int64(fields[2]) else { throw OutboxError.unreadable("payment.capture amount \(fields[2])") }
            self = .capturePayment(orderID: fields[0], paymentID: fields[1], amountInPence: amount)
        case ("payment.refund", 4):
            guard let amount = Int64(fields[3]) else { throw OutboxError.unreadable("payment.refund amount \(fields[3])") }
            self = .refundPayment(orderID: fields[0], refundID: fields[1], paymentID: fields[2], amountInPence: amount)
        case ("email", 8):
            self = .email(subject: fields[0], EmailMessage(messageID: fields[1], from: EmailAddress(fields[2], name: fields[3]),
                                                           to: EmailAddress(fields[4], name: fields[5]), subject: fields[6], body: fields[7]))
        default: throw OutboxError.unreadable("outbox message of kind \(kind) with \(fields.count) fields")
        }
    }

    static func encode(_ fields: [String]) -> [UInt8] {
        var bytes: [UInt8] = []
        for field in fields {
            let utf8 = Array(field.utf8)
            let count = UInt32(utf8.count)
            bytes += [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
            bytes += utf8
        }
        return bytes
    }

    static func decode(_ bytes: [UInt8]) throws(OutboxError) -> [String] {
        var fields: [String] = []
        var index = 0
        while index < bytes.count {
            guard index + 4 <= bytes.count else { throw OutboxError.unreadable("truncated outbox payload") }
            let count = Int(bytes[index]) << 24 | Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            index += 4
            guard count <= bytes.count - index else { throw OutboxError.unreadable("truncated outbox payload") }
            fields.append(String(decoding: bytes[index..<index + count], as: UTF8.self))
            index += count
        }
        return fields
    }
}

/// A stored outbox message that cannot be read back.
public enum OutboxError: Error, CustomStringConvertible {
    case unreadable(String)

    public var description: String {
        switch self {
        case .unreadable(let what): "unreadable \(what)"
        }
    }
}
