import Generated
import RPCCore
import Store
import Trust

extension Journey {
    /// One idempotent step on an order by `caller`: `body` moves the order inside one
    /// transaction that also writes its audit entry and the idempotency record; a retry with the
    /// same `requestID` does nothing again. Returns the order's id.
    func orderStep(_ requestID: String, orderID: String, caller: Caller, method: String, requestBytes: [UInt8],
                   _ body: @escaping @Sendable (OrderRecord, any WriteTransaction, Int64) throws -> (action: String, detail: String)) async throws
        -> String {
        try Idempotency.check(requestID)
        let now = clock()
        let cipher = vault.cipher
        let dialect = store.dialect
        let recorded = try await Idempotency.once(
            scope: method + "/" + caller.subjectID, requestID: requestID,
            fingerprint: vault.blindIndex.index(method + ":" + Hex.encode(requestBytes)), store: store, now: now) { tx in
            let order = try OrderRecord.require(orderID, ownedBy: nil, in: tx, cipher: cipher)
            let (action, detail) = try body(order, tx, now)
            try AuditLog.append(AuditEntry(caller, at: now, method: method, resource: order.id, action: action, detail: detail),
                                in: tx, dialect: dialect)
            return Array(order.id.utf8)
        }
        return String(decoding: recorded, as: UTF8.self)
    }
}
