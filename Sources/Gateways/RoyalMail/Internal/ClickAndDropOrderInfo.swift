import Domain
import RPCCore

/// The fields we read of an order Click & Drop holds: a `CreateOrderResponse` in
/// `createdOrders`, or a `GetOrderInfoResource` from `GET /orders/{orderIdentifiers}`.
struct ClickAndDropOrderInfo {
    /// Click & Drop's own id of the order.
    let orderIdentifier: Int64
    let orderReference: String?
    let trackingNumber: String?
    /// The label PDF, when the create response carried it (`label`, base64).
    let label: [UInt8]?
    /// Why Click & Drop made no label (`labelErrors[].message`), when it says.
    let labelErrors: [String]

    init(_ object: JSONObjectNode) throws(JSONError) {
        orderIdentifier = try object.required("orderIdentifier").int64()
        orderReference = try Self.text(object, "orderReference")
        trackingNumber = try Self.text(object, "trackingNumber")
        if let encoded = try Self.text(object, "label") {
            guard let bytes = Base64.decode(encoded) else { throw object.error("'label' is not base64") }
            label = bytes
        } else {
            label = nil
        }
        var labelErrors: [String] = []
        if let errors = object.optional("labelErrors"), case .array = errors.value {
            for error in try errors.array() {
                if let message = try Self.text(try error.object(), "message") { labelErrors.append(message) }
            }
        }
        self.labelErrors = labelErrors
    }

    /// A string member that is present, not null and not blank.
    static func text(_ object: JSONObjectNode, _ key: String) throws(JSONError) -> String? {
        guard let node = object.optional(key), node.value != .null else { return nil }
        let text = try node.string()
        return text.contains(where: { !$0.isWhitespace }) ? text : nil
    }
}

/// What `POST /orders` answered for our one order (`CreateOrdersResponse`).
enum ClickAndDropCreateOutcome {
    case created(ClickAndDropOrderInfo)
    /// `failedOrders[].errors`, each as "message (field = value)".
    case failed([String])

    init(_ object: JSONObjectNode, reference: String) throws(JSONError) {
        var created: [ClickAndDropOrderInfo] = []
        if let orders = object.optional("createdOrders"), orders.value != .null {
            for order in try orders.array() { created.append(try ClickAndDropOrderInfo(try order.object())) }
        }
        if let order = created.first(where: { $0.orderReference == reference }) ?? (created.count == 1 ? created[0] : nil) {
            self = .created(order)
            return
        }
        var messages: [String] = []
        if let failures = object.optional("failedOrders"), failures.value != .null {
            for failure in try failures.array() {
                guard let errors = try failure.object().optional("errors"), errors.value != .null else { continue }
                for error in try errors.array() {
                    messages.append(try Self.describe(try error.object()))
                }
            }
        }
        guard !messages.isEmpty else { throw object.error("neither a created nor a failed order for \(reference)") }
        self = .failed(messages)
    }

    /// "message (fieldName = value, …)" of a `CreateOrderErrorResponse`.
    private static func describe(_ error: JSONObjectNode) throws(JSONError) -> String {
        var message = try ClickAndDropOrderInfo.text(error, "errorMessage") ?? "error"
        if case .number(let code)? = error.optional("errorCode")?.value { message += " [\(code)]" }
        var fields: [String] = []
        if let list = error.optional("fields"), case .array = list.value {
            for field in try list.array() {
                let object = try field.object()
                guard let name = try ClickAndDropOrderInfo.text(object, "fieldName") else { continue }
                let value = try ClickAndDropOrderInfo.text(object, "value")
                fields.append(value.map { "\(name) = \($0.debugDescription)" } ?? name)
            }
        }
        return fields.isEmpty ? message : "\(message) (\(fields.joined(separator: ", ")))"
    }
}
