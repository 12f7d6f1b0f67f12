import Domain
import Synchronization

/// The built-in payment gateway for running without a provider (a laptop, tests): it plays
/// Stripe's test payment methods (`LocalTestCard`) in memory with Stripe's rules. A retried call
/// with the same idempotency key returns the first call's result; the same key with other
/// parameters is refused. Nothing survives a restart.
public final class LocalPaymentGateway: PaymentGateway {
    /// Most payments and idempotency keys held before new calls are refused: a bound on memory.
    public let maxPayments: Int
    private let state: Mutex<State>

    /// An empty gateway holding at most `maxPayments` payments.
    /// This gateway's own mark in the ids it hands out: two processes each with a local gateway
    /// never give two payments the same id (each still knows only its own payments).
    let instance = String(UInt32.random(in: 0...UInt32.max), radix: 16)

    public init(maxPayments: Int = 100_000) {
        precondition(maxPayments >= 1, "the local gateway needs room for a payment")
        self.maxPayments = maxPayments
        state = Mutex(State())
    }

    public func authorize(_ request: PaymentAuthorization) async throws(PaymentError) -> AuthorizedPayment {
        let call = Call.authorize(amount: request.amount, token: request.paymentMethodToken, order: request.orderReference)
        let outcome = state.withLock { state in
            state.once(request.idempotencyKey, call, limit: maxPayments) { state throws(PaymentError) in
                try Self.checkPositive(request.amount)
                guard let card = LocalTestCard.named(request.paymentMethodToken) else {
                    throw .rejected("No such PaymentMethod: '\(request.paymentMethodToken)'")
                }
                if case .declined(let code, let reason) = card.outcome { throw .declined(code: code, reason: reason) }
                state.nextPaymentNumber += 1
                let id = "pi_local_\(instance)_\(state.nextPaymentNumber)"
                state.payments[id] = Payment(authorized: request.amount)
                return .authorized(AuthorizedPayment(paymentID: id, amount: request.amount,
                                                     paymentMethodFingerprint: card.fingerprint))
            }
        }
        guard case .authorized(let payment) = try outcome.get() else { preconditionFailure("an authorisation's key replayed another call") }
        return payment
    }

    public func capture(paymentID: String, amount: Pence, idempotencyKey: String) async throws(PaymentError) {
        _ = try state.withLock { state in
            state.once(idempotencyKey, .capture(paymentID: paymentID, amount: amount), limit: maxPayments) { state throws(PaymentError) in
                try Self.checkPositive(amount)
                var payment = try state.payment(paymentID)
                switch payment.stage {
                case .authorized:
                    // As Stripe: capturing less than authorised releases the rest.
                    guard amount <= payment.authorized else {
                        throw .rejected("cannot capture \(amount) of \(paymentID): only \(payment.authorized) was authorised")
                    }
                    payment.stage = .captured(amount)
                    state.payments[paymentID] = payment
                    return .done
                case .captured:
                    throw .rejected("\(paymentID) has already been captured")
                case .released:
                    throw .rejected("\(paymentID) was released and cannot be captured")
                }
            }
        }.get()
    }

    public func release(paymentID: String, idempotencyKey: String) async throws(PaymentError) {
        _ = try state.withLock { state in
            state.once(idempotencyKey, .release(paymentID: paymentID), limit: maxPayments) { state throws(PaymentError) in
                var payment = try state.payment(paymentID)
                switch payment.stage {
                case .authorized:
                    payment.stage = .released
                    state.payments[paymentID] = payment
                    return .done
                case .captured:
                    throw .rejected("\(paymentID) has been captured; refund it instead of releasing it")
                case .released:
                    throw .rejected("\(paymentID) has already been released")
                }
            }
        }.get()
    }

    public func refund(paymentID: String, amount: Pence, idempotencyKey: String) async throws(PaymentError) -> PaymentRefund {
        let outcome = state.withLock { state in
            state.once(idempotencyKey, .refund(paymentID: paymentID, amount: amount), limit: maxPayments) { state throws(PaymentError) in
                try Self.checkPositive(amount)
                var payment = try state.payment(paymentID)
                guard case .captured(let captured) = payment.stage else {
                    throw .rejected("\(paymentID) has not been captured, so there is nothing to refund; release it instead")
                }
                let refundable = captured - payment.refunded
                guard amount <= refundable else {
                    throw .rejected("cannot refund \(amount) of \(paymentID): \(refundable) of the \(captured) captured is left to refund")
                }
                payment.refunded = payment.refunded + amount
                state.payments[paymentID] = payment
                state.nextRefundNumber += 1
                return .refunded(PaymentRefund(refundID: "re_local_\(instance)_\(state.nextRefundNumber)", amount: amount))
            }
        }
        guard case .refunded(let refund) = try outcome.get() else { preconditionFailure("a refund's key replayed another call") }
        return refund
    }

    private static func checkPositive(_ amount: Pence) throws(PaymentError) {
        guard amount > .zero else { throw .rejected("an amount must be positive, not \(amount)") }
    }

    /// A call's parameters: a key is bound to the first call made with it.
    private enum Call: Hashable {
        case authorize(amount: Pence, token: String, order: String)
        case capture(paymentID: String, amount: Pence)
        case release(paymentID: String)
        case refund(paymentID: String, amount: Pence)
    }

    /// What a call came to, kept for replays.
    private enum Outcome: Hashable {
        case authorized(AuthorizedPayment)
        case refunded(PaymentRefund)
        case done
    }

    private struct Payment {
        enum Stage { case authorized, captured(Pence), released }
        let authorized: Pence
        var stage: Stage = .authorized
        var refunded: Pence = .zero

        init(authorized: Pence) { self.authorized = authorized }
    }

    private struct State {
        var payments: [String: Payment] = [:]
        var calls: [String: (call: Call, result: Result<Outcome, PaymentError>)] = [:]
        var nextPaymentNumber = 0
        var nextRefundNumber = 0

        func payment(_ id: String) throws(PaymentError) -> Payment {
            guard let payment = payments[id] else { throw .rejected("No such payment_intent: '\(id)'") }
            return payment
        }

        /// Runs `body` for the first call with `key` and remembers its result, success or
        /// failure, as Stripe does; a later call with the key gets that result again.
        mutating func once(_ key: String, _ call: Call, limit: Int,
                           _ body: (inout State) throws(PaymentError) -> Outcome) -> Result<Outcome, PaymentError> {
            guard !key.isEmpty else { return .failure(.rejected("every payment call needs an idempotency key")) }
            if let earlier = calls[key] {
                guard earlier.call == call else {
                    return .failure(.rejected("Keys for idempotent requests can only be used with the same parameters they were first used with (key \(key))"))
                }
                return earlier.result
            }
            guard calls.count < limit, payments.count < limit else {
                return .failure(.unavailable("the local payment gateway holds its limit of \(limit) payments; restart it"))
            }
            var result: Result<Outcome, PaymentError>
            do throws(PaymentError) {
                result = .success(try body(&self))
            } catch {
                result = .failure(error)
            }
            calls[key] = (call, result)
            return result
        }
    }
}
