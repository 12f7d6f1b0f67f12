import Domain
import Generated
import RPCCore
import Store
import Trust

/// Orders that wait too long are cancelled and their payment hold released (API.md, Order
/// states): an unanswered request for information, or a missing identity check where the
/// treatment needs one, after the treatment's waiting limit (14 days for weight-loss injections,
/// 7 for the rest). Runs as housekeeping; the clock is the journey's, so tests move it.
public struct OrderExpiry: Sendable {
    /// Orders looked at per pass.
    static let batchSize = 100

    let journey: Journey
    let outbox: Outbox

    public init(journey: Journey, outbox: Outbox) {
        self.journey = journey
        self.outbox = outbox
    }

    /// Cancels every order past its limit; returns how many.
    @discardableResult
    public func cancelOverdue() async throws -> Int {
        let now = journey.clock()
        let shortest = Int64(journey.catalog.treatments.map(\.waitingLimitDays).min() ?? 7) * Instant.microsecondsPerDay
        let candidates = try await journey.store.read { tx in
            try tx.query("""
                SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id
                WHERE (o.status = $1 AND o.waiting_since_us <= $3) OR (o.status = $2 AND c.identity_status <> 1 AND o.created_at_us <= $3)
                ORDER BY o.created_at_us LIMIT $4
                """, [.integer(OrderMessages.stored(.informationRequested)), .integer(OrderMessages.stored(.pendingClinicalApproval)),
                      .integer(now - shortest), .integer(Int64(Self.batchSize))]).map { try $0.string("id") }
        }
        var cancelled = 0
        for id in candidates where try await cancelIfOverdue(id, now: now) { cancelled += 1 }
        return cancelled
    }

    private func cancelIfOverdue(_ id: String, now: Int64) async throws -> Bool {
        let cipher = journey.vault.cipher
        let catalog = journey.catalog
        let dialect = journey.store.dialect
        let outbox = outbox
        let journey = journey
        return try await journey.store.write { tx in
            guard let order = try OrderRecord.load(id, ownedBy: nil, in: tx, cipher: cipher),
                  let treatment = catalog.treatment(order.treatmentID) else { return false }
            let limit = Int64(treatment.waitingLimitDays) * Instant.microsecondsPerDay
            let reason: String
            switch order.status {
            case .informationRequested:
                let since = try tx.query("SELECT waiting_since_us FROM orders WHERE id = $1", [.text(id)]).first?.optionalInt64("waiting_since_us")
                guard let since, now - since >= limit else { return false }
                reason = "cancelled: the prescriber's question was not answered within \(treatment.waitingLimitDays) days; the payment hold is released"
            case .pendingClinicalApproval where treatment.requiresIdentityCheck:
                guard now - order.createdAt >= limit,
                      try PatientRecord.load(order.customerID, in: tx, cipher: cipher)?.isIdentityVerified == false else { return false }
                reason = "cancelled: no identity check within \(treatment.waitingLimitDays) days; the payment hold is released"
            default:
                return false
            }
            _ = try order.transition(.cancelUnanswered, actor: "system", reason: reason, now: now, in: tx)
            try outbox.enqueue(.releasePayment(orderID: order.id, paymentID: order.paymentID), now: now, in: tx)
            try Notices.email(customer: order.customerID, about: order.id, journey: journey, outbox: outbox, now: now, in: tx) { name in
                .cancelled(givenName: name, orderID: order.id, reason: .informationNotSupplied(days: treatment.waitingLimitDays),
                           releasedInPence: Notices.total(order))
            }
            try AuditLog.append(AuditEntry(atMicroseconds: now, actor: "system", method: "housekeeping", resource: order.id,
                                           action: "order.cancelled", detail: reason),
                                in: tx, dialect: dialect)
            return true
        }
    }
}
