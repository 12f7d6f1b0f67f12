import Domain
import Gateways
import Synchronization

/// A payment gateway (the local one unless given another), with a record of every call that
/// reached it: what a test asserts about what the server asked of the payment provider.
final class RecordingPaymentGateway: PaymentGateway {
    enum Call: Hashable {
        case authorize(amount: Pence, token: String, key: String)
        case capture(paymentID: String, amount: Pence)
        case release(paymentID: String)
        case refund(paymentID: String, amount: Pence)
    }

    private let inner: any PaymentGateway
    private let recorded = Mutex<[Call]>([])

    init(inner: any PaymentGateway = LocalPaymentGateway()) { self.inner = inner }

    var calls: [Call] { recorded.withLock { $0 } }

    func authorize(_ request: PaymentAuthorization) async throws(PaymentError) -> AuthorizedPayment {
        recorded.withLock { $0.append(.authorize(amount: request.amount, token: request.paymentMethodToken, key: request.idempotencyKey)) }
        return try await inner.authorize(request)
    }

    func capture(paymentID: String, amount: Pence, idempotencyKey: String) async throws(PaymentError) {
        recorded.withLock { $0.append(.capture(paymentID: paymentID, amount: amount)) }
        try await inner.capture(paymentID: paymentID, amount: amount, idempotencyKey: idempotencyKey)
    }

    func release(paymentID: String, idempotencyKey: String) async throws(PaymentError) {
        recorded.withLock { $0.append(.release(paymentID: paymentID)) }
        try await inner.release(paymentID: paymentID, idempotencyKey: idempotencyKey)
    }

    func refund(paymentID: String, amount: Pence, idempotencyKey: String) async throws(PaymentError) -> PaymentRefund {
        recorded.withLock { $0.append(.refund(paymentID: paymentID, amount: amount)) }
        return try await inner.refund(paymentID: paymentID, amount: amount, idempotencyKey: idempotencyKey)
    }
}
