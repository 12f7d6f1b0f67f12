import Domain
import Generated
import Store

/// Order statuses and quotes between the domain, the store and the wire. The store keeps a
/// status as its `medexpress.v1.OrderStatus` number, so reports and the wire agree.
enum OrderMessages {
    static func message(_ status: OrderStatus) -> Medexpress_V1_OrderStatus {
        guard let value = Medexpress_V1_OrderStatus.allCases.first(where: { $0.protoName == status.wireName }) else {
            preconditionFailure("order status \(status) has no medexpress.v1.OrderStatus value")
        }
        return value
    }

    static func stored(_ status: OrderStatus) -> Int64 { Int64(message(status).rawValue) }

    static func status(stored value: Int64) throws(StoreError) -> OrderStatus {
        guard let status = OrderStatus(wireName: Medexpress_V1_OrderStatus(rawValue: Int32(truncatingIfNeeded: value)).protoName) else {
            throw StoreError.schema("orders.status holds \(value), which is no order status")
        }
        return status
    }

    static func quote(_ quote: Quote, medication: Domain.Medication, product: Domain.Product, quantity: Int) -> Medexpress_V1_Quote {
        var message = Medexpress_V1_Quote()
        message.lines = quote.lines.map { line in
            var wire = Medexpress_V1_Quote.Line()
            switch line.kind {
            case .medication:
                wire.kind = .medication
                wire.description = "\(quantity) × \(medication.name) \(product.strength), \(product.packDescription)"
            case .discount:
                wire.kind = .discount
                wire.description = line.description
            case .delivery:
                wire.kind = .delivery
                wire.description = line.description
            }
            wire.amount = CatalogMessages.money(line.amountInPence)
            return wire
        }
        message.medication = CatalogMessages.money(quote.medicationInPence)
        message.discount = CatalogMessages.money(quote.discountInPence)
        message.delivery = CatalogMessages.money(quote.deliveryInPence)
        message.total = CatalogMessages.money(quote.totalInPence)
        message.discountCode = quote.discountCode ?? ""
        return message
    }
}
