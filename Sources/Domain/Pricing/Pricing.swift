/// Prices an order exactly, in pence (API.md, Delivery and Discount codes).
public enum Pricing {
    /// The most packs of one product a single order may hold; the prescriber may supply fewer.
    public static let maxPacksPerOrder = 4

    /// The quote for `quantity` packs of `product` sent by `delivery`, less `discount` if the code
    /// applies. Delivery is never discounted; a discount never exceeds the medication price.
    public static func quote(product: Product, quantity: Int, delivery: DeliveryOption, discount: DiscountCode?,
                             eligibility: DiscountEligibility) throws(QuoteError) -> Quote {
        guard (1...maxPacksPerOrder).contains(quantity) else { throw .quantityOutOfRange(quantity: quantity) }
        if product.refrigerated && !delivery.carriesRefrigerated {
            throw .refrigeratedNeedsNextDayDelivery(product: product.id, delivery: delivery.id, deliveryName: delivery.name)
        }
        if let discount, let refusal = discount.refusal(for: eligibility) { throw refusal }

        let medication = product.priceInPence * Int64(quantity)
        var lines = [QuoteLine(kind: .medication, description: "\(quantity) × \(product.medicationID) \(product.strength), \(product.packDescription)",
                               amountInPence: medication)]
        let discountAmount = discount?.amountOff(medicationInPence: medication) ?? .zero
        if let discount {
            lines.append(QuoteLine(kind: .discount, description: "Discount \(discount.code) (\(discount.kind.summary))",
                                   amountInPence: .zero - discountAmount))
        }
        lines.append(QuoteLine(kind: .delivery, description: delivery.name, amountInPence: delivery.priceInPence))
        return Quote(lines: lines, medicationInPence: medication, discountInPence: discountAmount,
                     deliveryInPence: delivery.priceInPence, discountCode: discount?.code)
    }
}

extension DiscountCode.Kind {
    /// "26% off medication", "12.5% off medication", "£5.00 off medication".
    var summary: String {
        switch self {
        case .percentage(let basisPoints):
            let whole = basisPoints / 100, hundredths = basisPoints % 100
            let fraction = hundredths == 0 ? "" : hundredths % 10 == 0 ? ".\(hundredths / 10)" : ".\(hundredths < 10 ? "0" : "")\(hundredths)"
            return "\(whole)\(fraction)% off medication"
        case .fixed(let amount):
            return "\(amount) off medication"
        }
    }
}
