/// One customer notification of API.md ("Notifications (email)"), rendered in UK English to a
/// subject and a plain-text body.
///
/// Subjects are discreet: an inbox preview, a shared screen or a lock screen shows the order or
/// ticket reference and what happened, never a medicine or a condition. Bodies may name the
/// medication; they are for the customer alone.
public struct CustomerEmail: Hashable, Sendable {
    /// Which notification this is; the raw value names it in the message id.
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case orderConfirmation = "confirmation"
        case underReview = "under-review"
        case informationRequested = "information-requested"
        case approved
        case dispatched
        case delivered
        case rejected
        case cancelled
        case ticketReply = "ticket-reply"
        case complaintResolved = "complaint-resolved"
    }

    /// What was done about a complaint, as the customer is told.
    public enum ComplaintRemedy: Hashable, Sendable {
        case refund(Pence)
        /// A new supply, which a prescriber reviews before it is sent.
        case replacement(orderID: String)
        case noAction
    }

    /// What happened to the money when an order ended without being supplied.
    public enum PaymentReturn: Hashable, Sendable {
        /// The authorisation hold was cancelled: nothing was taken.
        case released(Pence)
        /// Money already taken was paid back.
        case refunded(Pence)
    }

    /// Why an order was cancelled.
    public enum CancellationReason: Hashable, Sendable {
        /// The customer cancelled it before a prescription was issued.
        case byCustomer
        /// Identity or the information a prescriber asked for did not arrive within `days` days.
        case informationNotSupplied(days: Int)
    }

    /// The pharmacy's name as customers see it.
    public static let pharmacyName = "MedExpress"
    /// Royal Mail's public tracking page; the tracking number follows the `#/tracking-results/` fragment.
    public static let trackingURLPrefix = "https://www.royalmail.com/track-your-item#/tracking-results/"

    /// Which notification this is.
    public let kind: Kind
    /// The order id, or the ticket id for a ticket reply.
    public let reference: String
    /// Names this notification among those about `reference` ("confirmation",
    /// "information-requested-2"): a notification rendered twice gets the same message id.
    public let key: String
    /// Discreet: the reference and what happened, nothing clinical.
    public let subject: String
    /// Plain text in paragraphs; lines end with "\n".
    public let body: String

    private init(kind: Kind, reference: String, key: String? = nil, subject: String, paragraphs: [String],
                 givenName: String) {
        self.kind = kind
        self.reference = reference
        self.key = key ?? kind.rawValue
        self.subject = subject
        let greeting = givenName.isEmpty ? "Hello," : "Hello \(givenName),"
        let signOff = "Kind regards,\nThe \(Self.pharmacyName) team"
        body = ([greeting] + paragraphs + [signOff]).joined(separator: "\n\n") + "\n"
    }

    /// The message to send: id "<reference>.<key>@<domain>", stable across retries and re-renders.
    public func message(from: EmailAddress, to: EmailAddress, domain: String) -> EmailMessage {
        EmailMessage(messageID: "\(reference).\(key)@\(domain)", from: from, to: to, subject: subject, body: body)
    }

    /// Checkout succeeded: the order, its price lines and the authorised total.
    public static func orderConfirmation(givenName: String, orderID: String, lines: [QuoteLine],
                                         totalInPence: Pence) -> CustomerEmail {
        let priceLines = lines.map { "  \($0.description): \($0.amountInPence)" } + ["  Total: \(totalInPence)"]
        return CustomerEmail(
            kind: .orderConfirmation, reference: orderID,
            subject: "Your \(pharmacyName) order \(orderID) is confirmed",
            paragraphs: [
                "Thank you for your order \(orderID).",
                "Your order\n" + priceLines.joined(separator: "\n"),
                "We have placed a hold of \(totalInPence) on your card. Nothing is taken until a prescriber approves "
                    + "your order; if they do not, the hold is released in full.",
                "A prescriber will now review your consultation. We will email you at each step.",
            ],
            givenName: givenName)
    }

    /// A prescriber has started reviewing the consultation behind the order.
    public static func underReview(givenName: String, orderID: String) -> CustomerEmail {
        CustomerEmail(
            kind: .underReview, reference: orderID,
            subject: "Your \(pharmacyName) order \(orderID) is being reviewed",
            paragraphs: [
                "A prescriber is now reviewing your consultation for order \(orderID).",
                "You do not need to do anything. If they need more information, we will email you; otherwise "
                    + "you will hear from us when they have made their decision.",
            ],
            givenName: givenName)
    }

    /// The prescriber asked the customer something; the order waits until `answerBy` at the latest.
    /// `requestNumber` counts the requests on this order (1, 2, …), so each gets its own message.
    public static func informationRequested(givenName: String, orderID: String, requestNumber: Int,
                                            prescriberMessage: String, answerBy: CalendarDay) -> CustomerEmail {
        precondition(requestNumber >= 1, "requests are numbered from 1")
        return CustomerEmail(
            kind: .informationRequested, reference: orderID, key: "\(Kind.informationRequested.rawValue)-\(requestNumber)",
            subject: "Action needed: a question about your \(pharmacyName) order \(orderID)",
            paragraphs: [
                "The prescriber reviewing your order \(orderID) needs more information before they can decide. "
                    + "Their message:",
                quoted(prescriberMessage),
                "Please sign in to your account and reply by \(longDate(answerBy)). If we have not heard from you "
                    + "by then, the order will be cancelled and the hold on your card released.",
            ],
            givenName: givenName)
    }

    /// The prescriber approved the order: the prescription is issued and the payment taken.
    public static func approved(givenName: String, orderID: String, medicationDescription: String,
                                chargedInPence: Pence) -> CustomerEmail {
        CustomerEmail(
            kind: .approved, reference: orderID,
            subject: "Your \(pharmacyName) order \(orderID) has been approved",
            paragraphs: [
                "Good news: a prescriber has approved your order \(orderID) for \(medicationDescription).",
                "We have now taken the payment of \(chargedInPence) from your card.",
                "Our pharmacy team will dispense your order and we will email you the tracking details when it "
                    + "is on its way. It will arrive in plain packaging.",
            ],
            givenName: givenName)
    }

    /// The parcel is with Royal Mail.
    public static func dispatched(givenName: String, orderID: String, deliveryService: String, trackingNumber: String,
                                  estimatedDelivery: CalendarDay) -> CustomerEmail {
        CustomerEmail(
            kind: .dispatched, reference: orderID,
            subject: "Your \(pharmacyName) order \(orderID) is on its way",
            paragraphs: [
                "Your order \(orderID) has been dispatched with \(deliveryService) in plain packaging.",
                "Estimated delivery: \(longDate(estimatedDelivery)).",
                "Tracking number: \(trackingNumber)\nTrack your parcel: \(trackingURLPrefix)\(trackingNumber)",
            ],
            givenName: givenName)
    }

    /// Royal Mail reported the parcel delivered.
    public static func delivered(givenName: String, orderID: String) -> CustomerEmail {
        CustomerEmail(
            kind: .delivered, reference: orderID,
            subject: "Your \(pharmacyName) order \(orderID) has been delivered",
            paragraphs: [
                "Royal Mail tells us your order \(orderID) has been delivered.",
                "Please read the patient information leaflet before you start your treatment. If anything is "
                    + "wrong with your order, or you have questions about your treatment, contact us from your account.",
                "We would be grateful for your feedback on the order; you can leave it in your account.",
            ],
            givenName: givenName)
    }

    /// The prescriber decided the treatment is not suitable; the payment is released or refunded.
    public static func rejected(givenName: String, orderID: String, prescriberReason: String,
                                payment: PaymentReturn) -> CustomerEmail {
        CustomerEmail(
            kind: .rejected, reference: orderID,
            subject: "An update on your \(pharmacyName) order \(orderID)",
            paragraphs: [
                "A prescriber has reviewed your order \(orderID) and decided that this treatment is not suitable "
                    + "for you, so we cannot supply it. Their reason:",
                quoted(prescriberReason),
                paymentSentence(payment),
                "If you have any questions, please contact us from your account or speak to your GP.",
            ],
            givenName: givenName)
    }

    /// The order was cancelled before a prescription was issued; the hold is released.
    public static func cancelled(givenName: String, orderID: String, reason: CancellationReason,
                                 releasedInPence: Pence) -> CustomerEmail {
        let cause = switch reason {
        case .byCustomer:
            "As you asked, we have cancelled your order \(orderID)."
        case .informationNotSupplied(let days):
            "We have cancelled your order \(orderID) because the information the prescriber needed did not "
                + "reach us within \(days) days."
        }
        return CustomerEmail(
            kind: .cancelled, reference: orderID,
            subject: "Your \(pharmacyName) order \(orderID) has been cancelled",
            paragraphs: [cause, paymentSentence(.released(releasedInPence)),
                         "You are welcome to start a new consultation at any time."],
            givenName: givenName)
    }

    /// Our team replied on a support ticket. `replyNumber` counts the replies on the ticket (1, 2, …).
    public static func ticketReply(givenName: String, ticketID: String, replyNumber: Int, replyText: String) -> CustomerEmail {
        precondition(replyNumber >= 1, "replies are numbered from 1")
        return CustomerEmail(
            kind: .ticketReply, reference: ticketID, key: "\(Kind.ticketReply.rawValue)-\(replyNumber)",
            subject: "New reply to your \(pharmacyName) enquiry \(ticketID)",
            paragraphs: [
                "We have replied to your enquiry \(ticketID):",
                quoted(replyText),
                "To answer, please sign in to your account and open the enquiry.",
            ],
            givenName: givenName)
    }

    /// A complaint was resolved: what was done and why.
    public static func complaintResolved(givenName: String, complaintID: String, orderID: String, remedy: ComplaintRemedy,
                                         note: String) -> CustomerEmail {
        let done = switch remedy {
        case .refund(let amount):
            "We have refunded \(amount) to the card you paid with. Depending on your bank, it can take a few working days to appear."
        case .replacement(let replacement):
            "We are sending a replacement at no charge (order \(replacement)). A prescriber reviews it first, as for any "
                + "supply of a prescription medicine, and we will email you when it is dispatched."
        case .noAction:
            "We have looked into it carefully and are not refunding or replacing the order."
        }
        return CustomerEmail(
            kind: .complaintResolved, reference: complaintID,
            subject: "Your \(pharmacyName) complaint \(complaintID) is resolved",
            paragraphs: ["Thank you for telling us about the problem with order \(orderID).", done, quoted(note),
                         "If you are not satisfied, reply to this email and we will look at it again."],
            givenName: givenName)
    }

    /// The refund or release sentence; banks, not us, decide how long a released hold takes to vanish.
    private static func paymentSentence(_ payment: PaymentReturn) -> String {
        switch payment {
        case .released(let amount):
            "We have released the hold of \(amount) on your card, so no money has been taken. Depending on your "
                + "bank, it can take a few working days for the amount to show as available again."
        case .refunded(let amount):
            "We have refunded \(amount) to your card. Refunds usually reach your account within 5 to 10 working days."
        }
    }

    /// A message from staff, indented so it stands apart from our own words.
    private static func quoted(_ text: String) -> String {
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { "    " + $0 }.joined(separator: "\n")
    }

    private static let weekdayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    private static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August",
                                     "September", "October", "November", "December"]

    /// "Thursday 24 December 2026", as UK writers put dates.
    static func longDate(_ day: CalendarDay) -> String {
        "\(weekdayNames[day.weekday - 1]) \(day.day) \(monthNames[day.month - 1]) \(day.year)"
    }
}
