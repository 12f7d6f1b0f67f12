/// A named reply for the questions support answers every day (issue 5: "automated email templates
/// are used for common responses"), rendered in plain UK English with the facts of the ticket's
/// order. The rendered text is the reply: kept on the ticket and emailed like any other.
public enum SupportTemplate: String, CaseIterable, Hashable, Sendable {
    case orderConfirmation = "order_confirmation"
    case deliveryDelay = "delivery_delay"
    case sideEffectGuidance = "side_effect_guidance"
    case refundProcessed = "refund_processed"

    /// The name a `Reply` gives: "delivery_delay".
    public var name: String { rawValue }

    /// The template called `name`; an unknown name is refused with the list of known ones.
    public init(named name: String) throws(SupportTemplateError) {
        guard let template = SupportTemplate(rawValue: name) else { throw .unknown(name) }
        self = template
    }

    /// What a template may say about the ticket's order.
    public struct OrderFacts: Hashable, Sendable {
        /// What happened to the payment after a refund.
        public enum Refund: Hashable, Sendable {
            /// The whole amount went back to the card.
            case full(Pence)
            /// Part of it did.
            case partial
        }

        public let orderID: String
        public let status: OrderStatus
        /// "Sildenafil 50 mg, 8 tablets"; nil when the catalog no longer lists the product.
        public let medicationDescription: String?
        /// Once the parcel is with Royal Mail.
        public let trackingNumber: String?
        public let estimatedDelivery: CalendarDay?
        public let refund: Refund?

        public init(orderID: String, status: OrderStatus, medicationDescription: String? = nil, trackingNumber: String? = nil,
                    estimatedDelivery: CalendarDay? = nil, refund: Refund? = nil) {
            self.orderID = orderID
            self.status = status
            self.medicationDescription = medicationDescription
            self.trackingNumber = trackingNumber
            self.estimatedDelivery = estimatedDelivery
            self.refund = refund
        }
    }

    /// The reply's text in paragraphs, without greeting or sign-off (the email adds them).
    /// Every template but side-effect guidance is about an order, and a refund reply needs a
    /// refund: saying otherwise would tell the customer something untrue.
    public func render(order: OrderFacts?) throws(SupportTemplateError) -> String {
        let paragraphs: [String]
        switch self {
        case .orderConfirmation:
            guard let order else { throw .needsOrder(self) }
            paragraphs = ["We can confirm that we have your order \(order.orderID). \(Self.standing(order))"]
                + Self.tracking(order)
                + ["We will email you at each step until it reaches you."]
        case .deliveryDelay:
            guard let order else { throw .needsOrder(self) }
            paragraphs = ["We are sorry that your order \(order.orderID) is taking longer than you expected."]
                + Self.delay(order)
        case .sideEffectGuidance:
            let medicine = order?.medicationDescription.map { " while taking \($0)" } ?? ""
            paragraphs = [
                "Thank you for telling us about the side effects you have noticed\(medicine). Many side effects are mild "
                    + "and settle as your body gets used to a medicine; the patient information leaflet in the pack lists them.",
                "If you have chest pain, difficulty breathing, or swelling of your face, lips, tongue or throat, stop "
                    + "taking the medicine and call 999 or go to A&E now. For other symptoms that worry you, call NHS 111 "
                    + "or speak to your GP.",
                "You can report a suspected side effect to the MHRA's Yellow Card scheme at https://yellowcard.mhra.gov.uk. "
                    + "One of our prescribers can also advise you: reply to this message with what you have noticed and since when.",
            ]
        case .refundProcessed:
            guard let order else { throw .needsOrder(self) }
            guard let refund = order.refund else { throw .noRefund(orderID: order.orderID) }
            let amount = switch refund {
            case .full(let amount): "a refund of \(amount)"
            case .partial: "a partial refund"
            }
            paragraphs = [
                "We have processed \(amount) for your order \(order.orderID).",
                "Refunds usually reach your account within 5 to 10 working days, depending on your bank.",
            ]
        }
        return paragraphs.joined(separator: "\n\n")
    }

    /// "It is with Royal Mail …": where the order stands, in the customer's words.
    private static func standing(_ order: OrderFacts) -> String {
        switch order.status {
        case .pendingClinicalApproval: "It is waiting for one of our prescribers to review your consultation."
        case .informationRequested: "Our prescriber has asked you a question and is waiting for your answer."
        case .approved: "A prescriber has approved it and our pharmacy will dispense it shortly."
        case .dispensing: "Our pharmacy is dispensing it now."
        case .dispatched, .inTransit: "It is on its way with Royal Mail."
        case .outForDelivery: "It is out for delivery today."
        case .deliveryFailed: "Royal Mail could not deliver it and is holding it for redelivery or collection."
        case .delivered: "Royal Mail tells us it has been delivered."
        case .rejected: "The prescriber decided the treatment is not suitable, so it will not be supplied."
        case .returned: "Royal Mail returned it to our pharmacy."
        case .cancelled: "It has been cancelled."
        }
    }

    private static func tracking(_ order: OrderFacts) -> [String] {
        var lines: [String] = []
        if let trackingNumber = order.trackingNumber {
            lines.append("Tracking number: \(trackingNumber)\nTrack your parcel: \(CustomerEmail.trackingURLPrefix)\(trackingNumber)")
        }
        if let day = order.estimatedDelivery, !order.status.isTerminal {
            lines.append("Estimated delivery: \(CustomerEmail.longDate(day)).")
        }
        return lines
    }

    private static func delay(_ order: OrderFacts) -> [String] {
        if order.status.isWithCourier {
            return ["\(standing(order)) Parcels are sometimes held up in the Royal Mail network; most arrive within "
                        + "two working days of the estimate."]
                + tracking(order)
                + ["If it has not arrived two working days after the estimated date, reply to this message and we will "
                    + "arrange a replacement at no cost to you."]
        }
        if order.status.isBeforePrescribing || order.status == .approved || order.status == .dispensing {
            return [standing(order) + " It has not been dispatched yet; we will email you the tracking details as soon as it is on its way."]
        }
        return [standing(order) + " If this does not match what you have seen, reply to this message and we will look into it."]
    }
}
