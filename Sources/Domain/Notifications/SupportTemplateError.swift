/// Why a support template could not be rendered (INVALID_ARGUMENT or FAILED_PRECONDITION).
public enum SupportTemplateError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No template has this name.
    case unknown(String)
    /// The template speaks about an order and the ticket has none.
    case needsOrder(SupportTemplate)
    /// A refund reply about an order that was not refunded.
    case noRefund(orderID: String)

    public var description: String {
        switch self {
        case .unknown(let name):
            "template: no template \"\(name.prefix(64))\"; known: \(SupportTemplate.allCases.map(\.name).joined(separator: ", "))"
        case .needsOrder(let template):
            "template: \(template.name) speaks about the ticket's order, and this ticket is about none"
        case .noRefund(let orderID):
            "template: refund_processed, but order \(orderID) has not been refunded"
        }
    }
}
