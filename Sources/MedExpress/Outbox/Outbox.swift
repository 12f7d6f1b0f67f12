import Domain
import Generated
import RPCCore
import Store
import Trust

/// The transactional outbox: messages queued in the transaction of the change that causes them
/// and delivered afterwards, at least once, with retries that back off. Several server processes
/// may run dispatchers on one database: each message is claimed with a conditional update
/// (a lease) before it is worked on.
public struct Outbox: Sendable {
    /// Messages claimed per pass.
    static let batchSize = 50
    /// How long a claim lasts: a dispatcher that dies mid-message leaves it to another after this.
    static let leaseMicroseconds: Int64 = 60_000_000
    /// The first retry waits this long, doubling per attempt up to `maxBackoffMicroseconds`.
    static let firstBackoffMicroseconds: Int64 = 2_000_000
    static let maxBackoffMicroseconds: Int64 = 3_600_000_000
    /// How often a dispatcher looks for due messages.
    static let pollInterval: Duration = .milliseconds(250)

    let store: any StoreEngine
    let cipher: FieldCipher
    let payments: any PaymentGateway
    let email: any EmailSender
    let clock: @Sendable () -> Int64
    let log: Logger

    public init(store: any StoreEngine, cipher: FieldCipher, payments: any PaymentGateway, email: any EmailSender,
                clock: @escaping @Sendable () -> Int64 = WallClock.nowMicroseconds, log: Logger = Logger(component: "outbox")) {
        self.store = store
        self.cipher = cipher
        self.payments = payments
        self.email = email
        self.clock = clock
        self.log = log
    }

    /// Queues `message` in `tx`: it is delivered only if `tx` commits.
    public func enqueue(_ message: OutboxMessage, now: Int64, in tx: any WriteTransaction) throws {
        let id = "obx_" + Hex.encode(SecureRandom.bytes(16))
        let sealed = cipher.seal(message.payload, context: FieldContext(table: "outbox", column: "payload", row: id))
        try tx.execute("""
            INSERT INTO outbox (id, kind, subject, payload, next_attempt_at_us, created_at_us) VALUES ($1, $2, $3, $4, $5, $5)
            """, [.text(id), .text(message.kind), .text(message.subject), .blob(sealed), .integer(now)])
    }

    /// Delivers what is due until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            do {
                _ = try await dispatchDue()
            } catch {
                log.warning("outbox pass failed", ["error": "\(error)"])
            }
            try? await Task.sleep(for: Self.pollInterval)
        }
    }

    /// One pass: claims the due messages and delivers each; returns how many were delivered.
    @discardableResult
    public func dispatchDue() async throws -> Int {
        let now = clock()
        let due = try await store.read { tx in
            try tx.query("""
                SELECT id, kind, payload, attempts, next_attempt_at_us FROM outbox
                WHERE done_at_us IS NULL AND next_attempt_at_us <= $1 ORDER BY next_attempt_at_us LIMIT $2
                """, [.integer(now), .integer(Int64(Self.batchSize))])
        }
        var delivered = 0
        for row in due {
            let id = try row.string("id")
            let attempts = try row.int64("attempts")
            let claimed = try await store.write { tx in
                try tx.execute("""
                    UPDATE outbox SET attempts = attempts + 1, next_attempt_at_us = $1
                    WHERE id = $2 AND attempts = $3 AND done_at_us IS NULL
                    """, [.integer(now + Self.leaseMicroseconds), .text(id), .integer(attempts)]) == 1
            }
            guard claimed else { continue }
            let message: OutboxMessage
            do {
                let payload = try cipher.open(try row.bytes("payload"), context: FieldContext(table: "outbox", column: "payload", row: id))
                message = try OutboxMessage(kind: try row.string("kind"), payload: payload)
            } catch {
                try await finish(id, outcome: "undeliverable: \(error)", now: now)
                log.error("outbox message cannot be read", ["id": id, "error": "\(error)"])
                continue
            }
            switch await deliver(message, now: now) {
            case .done(let outcome):
                try await finish(id, outcome: outcome, now: now)
                delivered += 1
            case .retry(let reason):
                let backoff = min(Self.firstBackoffMicroseconds << min(attempts, 20), Self.maxBackoffMicroseconds)
                _ = try await store.write { tx in
                    try tx.execute("UPDATE outbox SET next_attempt_at_us = $1, outcome = $2 WHERE id = $3",
                                   [.integer(now + backoff), .text(reason), .text(id)])
                }
                log.warning("outbox delivery will be retried", ["id": id, "kind": message.kind, "reason": reason])
            }
        }
        return delivered
    }

    enum Delivery {
        /// Finished (successfully or for good), with what happened.
        case done(String)
        /// Try again later.
        case retry(String)
    }

    func deliver(_ message: OutboxMessage, now: Int64) async -> Delivery {
        switch message {
        case .releasePayment(let orderID, let paymentID):
            // A replacement order at no charge has no payment: nothing to release.
            if paymentID.isEmpty { return .done("no payment to release") }
            do {
                try await payments.release(paymentID: paymentID, idempotencyKey: "release-" + paymentID)
            } catch .unavailable(let reason) {
                return .retry(reason)
            } catch {
                // The gateway refuses for good (already captured, say): an operator must look.
                let outcome = "payment \(paymentID) not released: \(error)"
                try? await recordPayment(orderID, status: nil, action: "payment.release_failed", detail: outcome, now: now)
                return .done(outcome)
            }
            do {
                try await recordPayment(orderID, status: .released, action: "payment.released", detail: "payment=\(paymentID)", now: now)
            } catch {
                return .retry("released, but recording it failed: \(error)")
            }
            return .done("released")
        case .capturePayment(let orderID, let paymentID, let amount):
            // A replacement order at no charge has no payment: nothing to take.
            if paymentID.isEmpty || amount == 0 { return .done("no payment to capture") }
            do {
                try await payments.capture(paymentID: paymentID, amount: Pence(amount), idempotencyKey: "capture-" + paymentID)
            } catch .unavailable(let reason) {
                return .retry(reason)
            } catch {
                // The hold lapsed or the card issuer refused: the order is prescribed but unpaid,
                // which an operator must resolve with the customer.
                let outcome = "payment \(paymentID) not captured: \(error)"
                try? await recordPayment(orderID, status: nil, action: "payment.capture_failed", detail: outcome, now: now)
                return .done(outcome)
            }
            do {
                try await recordPayment(orderID, status: .captured, action: "payment.captured",
                                        detail: "payment=\(paymentID) amount_pence=\(amount)", now: now)
            } catch {
                return .retry("captured, but recording it failed: \(error)")
            }
            return .done("captured")
        case .refundPayment(let orderID, let refundID, let paymentID, let amount):
            let refund: PaymentRefund
            do {
                refund = try await payments.refund(paymentID: paymentID, amount: Pence(amount), idempotencyKey: "refund-" + refundID)
            } catch .unavailable(let reason) {
                return .retry(reason)
            } catch {
                // The gateway refuses for good (more than is left to refund, say): an operator must look.
                let outcome = "refund \(refundID) of payment \(paymentID) refused: \(error)"
                try? await recordRefund(orderID, refundID: refundID, gatewayRefundID: nil, detail: outcome, now: now)
                return .done(outcome)
            }
            do {
                try await recordRefund(orderID, refundID: refundID, gatewayRefundID: refund.refundID,
                                       detail: "refund=\(refundID) payment=\(paymentID) amount_pence=\(amount) gateway_refund=\(refund.refundID)",
                                       now: now)
            } catch {
                return .retry("refunded, but recording it failed: \(error)")
            }
            return .done("refunded \(refund.refundID)")
        case .email(let subject, let message):
            do {
                try await email.send(message)
            } catch .unavailable(let reason) {
                return .retry(reason)
            } catch {
                // The mail server refused it for good (no such mailbox): kept in the audit log.
                let dialect = store.dialect
                _ = try? await store.write { tx in
                    try AuditLog.append(AuditEntry(atMicroseconds: now, actor: "system", method: "outbox", resource: subject,
                                                   action: "email.rejected", outcome: "failed", detail: "\(message.messageID): \(error)"),
                                        in: tx, dialect: dialect)
                }
                return .done("rejected: \(error)")
            }
            return .done("sent \(message.messageID)")
        }
    }

    /// Records a payment fact on the order and in the audit log.
    func recordPayment(_ orderID: String, status: Medexpress_V1_PaymentStatus?, action: String, detail: String, now: Int64) async throws {
        let dialect = store.dialect
        _ = try await store.write { tx in
            if let status {
                _ = try tx.execute("UPDATE orders SET payment_status = $1, updated_at_us = $2 WHERE id = $3",
                                   [.integer(Int64(status.rawValue)), .integer(now), .text(orderID)])
            }
            _ = try AuditLog.append(AuditEntry(atMicroseconds: now, actor: "system", method: "outbox", resource: orderID,
                                               action: action, outcome: status == nil ? "failed" : "ok", detail: detail),
                                    in: tx, dialect: dialect)
        }
    }

    /// Records the end of refund `refundID` (completed with the gateway's refund id, or failed when
    /// nil) and, once completed, the order's payment status: REFUNDED when the completed refunds
    /// reach what was captured (the order's total), PARTIALLY_REFUNDED before. One transaction, with
    /// its audit entry; a second recording of the same refund (a redelivery) changes nothing.
    func recordRefund(_ orderID: String, refundID: String, gatewayRefundID: String?, detail: String, now: Int64) async throws {
        let dialect = store.dialect
        _ = try await store.write { tx in
            let finished = try tx.execute("""
                UPDATE refunds SET state = $1, gateway_refund_id = $2, completed_at_us = $3 WHERE id = $4 AND state = $5
                """, [.integer(gatewayRefundID == nil ? RefundState.failed.rawValue : RefundState.completed.rawValue),
                      gatewayRefundID.map { .text($0) } ?? .null, .integer(now), .text(refundID), .integer(RefundState.pending.rawValue)])
            guard finished == 1 else { return }
            if gatewayRefundID != nil, let order = try tx.query("SELECT total_pence FROM orders WHERE id = $1", [.text(orderID)]).first {
                let refunded = try tx.query("SELECT amount_pence FROM refunds WHERE order_id = $1 AND state = $2",
                                            [.text(orderID), .integer(RefundState.completed.rawValue)])
                    .reduce(Int64(0)) { $0 + (try $1.int64("amount_pence")) }
                let status: Medexpress_V1_PaymentStatus = refunded >= (try order.int64("total_pence")) ? .refunded : .partiallyRefunded
                _ = try tx.execute("UPDATE orders SET payment_status = $1, updated_at_us = $2 WHERE id = $3",
                                   [.integer(Int64(status.rawValue)), .integer(now), .text(orderID)])
            }
            _ = try AuditLog.append(AuditEntry(atMicroseconds: now, actor: "system", method: "outbox", resource: orderID,
                                               action: gatewayRefundID == nil ? "payment.refund_failed" : "payment.refunded",
                                               outcome: gatewayRefundID == nil ? "failed" : "ok", detail: detail),
                                    in: tx, dialect: dialect)
        }
    }

    func finish(_ id: String, outcome: String, now: Int64) async throws {
        _ = try await store.write { tx in
            try tx.execute("UPDATE outbox SET done_at_us = $1, outcome = $2 WHERE id = $3", [.integer(now), .text(outcome), .text(id)])
        }
    }
}
