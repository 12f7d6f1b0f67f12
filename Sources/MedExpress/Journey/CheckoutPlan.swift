import Domain
import Generated
import RPCCore
import Store
import Trust

/// Everything checkout needs, read and checked against API.md's rules (no consultation, no cart;
/// the consultation is the caller's, submitted, not older than 14 days and not yet ordered; the
/// pack is one it offered; the delivery service exists and suits the pack; the discount code
/// applies), priced exactly. GetQuote shows it; Checkout places it.
struct CheckoutPlan: Sendable {
    let consultation: ConsultationRecord
    let treatment: Domain.Treatment
    let medication: Domain.Medication
    let product: Domain.Product
    let delivery: Domain.DeliveryOption
    let discount: DiscountCode?
    let quote: Quote
    let quoteMessage: Medexpress_V1_Quote

    /// Packs per order: one; the prescriber decides the supply.
    static let quantity = 1

    init(consultationID: String, productID: String, deliveryOptionID: String, discountCode: String, customerID: String,
         now: Int64, catalog: Catalog, cipher: FieldCipher, in tx: any ReadTransaction) throws {
        consultation = try ConsultationRecord.require(consultationID, ownedBy: customerID, in: tx, cipher: cipher)
        switch consultation.state {
        case .submitted: break
        case .ordered:
            throw Status(.failedPrecondition, "consultation is ORDERED: an order was already placed from it (one order per consultation)")
        default:
            throw Status(.failedPrecondition, "consultation is \(consultation.state.protoName): submit it before checking out")
        }
        let submittedAt = consultation.submittedAt ?? 0
        guard now - submittedAt <= Int64(ConsultationService.checkoutWindowDays) * Instant.microsecondsPerDay else {
            throw Status(.failedPrecondition, "consultation was submitted on \(UKTime.localDay(at: Instant(microsecondsSinceEpoch: submittedAt))), "
                         + "more than \(ConsultationService.checkoutWindowDays) days ago: start a new consultation")
        }
        guard let treatment = catalog.treatment(consultation.treatmentID) else {
            throw Status(.failedPrecondition, "treatment \(consultation.treatmentID) is no longer offered")
        }
        self.treatment = treatment
        guard !productID.isEmpty else { throw Status(.invalidArgument, "product_id: which pack is needed") }
        guard let found = treatment.product(ProductID(productID)) else {
            throw Status(.invalidArgument, "product_id: \(treatment.name) has no pack \"\(productID.prefix(64))\"")
        }
        let offered = consultation.assessment?.offered.contains { $0.productIds.contains(productID) } ?? false
        guard offered else {
            throw Status(.failedPrecondition, "\(found.medication.name) is not among the medicines this consultation offered")
        }
        medication = found.medication
        product = found.product
        guard let delivery = catalog.deliveryOption(DeliveryOptionID(deliveryOptionID)) else {
            let known = catalog.deliveryOptions.map(\.id.rawValue).joined(separator: ", ")
            throw Status(.invalidArgument, "delivery_option_id: \"\(deliveryOptionID.prefix(64))\" is not a delivery option (there are: \(known))")
        }
        self.delivery = delivery

        var eligibility = DiscountEligibility(isFirstOrder: try Self.isFirstOrder(customerID, in: tx), redemptionsSoFar: 0,
                                              now: Instant(microsecondsSinceEpoch: now))
        let code = DiscountCode.normalise(discountCode)
        if code.isEmpty {
            discount = nil
        } else {
            guard let row = try tx.query("""
                SELECT code, percentage_basis_points, fixed_pence, valid_from_us, valid_until_us, max_redemptions,
                       first_order_only, redemptions
                FROM discount_codes WHERE code = $1
                """, [.text(code)]).first else {
                throw Status(.invalidArgument, "discount_code: \(code.prefix(32)) is not a code we offer")
            }
            discount = try Self.discountCode(row)
            eligibility = DiscountEligibility(isFirstOrder: eligibility.isFirstOrder, redemptionsSoFar: Int(try row.int64("redemptions")),
                                              now: eligibility.now)
        }
        do {
            quote = try Pricing.quote(product: product, quantity: Self.quantity, delivery: delivery, discount: discount,
                                      eligibility: eligibility)
        } catch {
            throw Status(error.isInvalidArgument ? .invalidArgument : .failedPrecondition, "\(error.field): \(error)")
        }
        quoteMessage = OrderMessages.quote(quote, medication: medication, product: product, quantity: Self.quantity)
    }

    /// Whether the customer has no order that went ahead or is waiting: cancelled and rejected
    /// orders do not use up a first-order offer.
    static func isFirstOrder(_ customerID: String, in tx: any ReadTransaction) throws -> Bool {
        let rows = try tx.query("SELECT COUNT(*) AS orders FROM orders WHERE customer_id = $1 AND status NOT IN ($2, $3)",
                                [.text(customerID), .integer(OrderMessages.stored(.cancelled)), .integer(OrderMessages.stored(.rejected))])
        return try rows.first?.int64("orders") ?? 0 == 0
    }

    static func discountCode(_ row: SQLRow) throws -> DiscountCode {
        let kind: DiscountCode.Kind
        if let basisPoints = try row.optionalInt64("percentage_basis_points") {
            kind = .percentage(basisPoints: Int(basisPoints))
        } else {
            kind = .fixed(Pence(try row.int64("fixed_pence")))
        }
        return try DiscountCode(code: try row.string("code"), kind: kind,
                                validFrom: try row.optionalInt64("valid_from_us").map(Instant.init(microsecondsSinceEpoch:)),
                                validUntil: try row.optionalInt64("valid_until_us").map(Instant.init(microsecondsSinceEpoch:)),
                                maxRedemptions: try row.optionalInt64("max_redemptions").map { Int($0) },
                                firstOrderOnly: try row.int64("first_order_only") == 1)
    }
}
