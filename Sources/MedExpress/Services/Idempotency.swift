import RPCCore
import Store

/// Idempotency keys (API.md, Conventions): a retried request with the same `request_id` gets the
/// first response; the same key with different content is refused.
enum Idempotency {
    /// The response first given for `requestID` in `scope`; ALREADY_EXISTS when the key was used
    /// for a different request; nil when it was never used.
    static func earlierResponse(scope: String, requestID: String, fingerprint: [UInt8], store: any StoreEngine) async throws -> [UInt8]? {
        let row = try await store.read { tx in
            try tx.query("SELECT request_fingerprint, response FROM idempotency_keys WHERE scope = $1 AND request_id = $2",
                         [.text(scope), .text(requestID)]).first
        }
        guard let row else { return nil }
        guard try row.bytes("request_fingerprint") == fingerprint else {
            throw Status(.alreadyExists, "request_id \(requestID) was already used for a different request")
        }
        return try row.bytes("response")
    }

    /// Records the response of `requestID` in the transaction that carries out the request.
    static func record(scope: String, requestID: String, fingerprint: [UInt8], response: [UInt8], now: Int64,
                       in tx: any WriteTransaction) throws {
        try tx.execute("""
            INSERT INTO idempotency_keys (scope, request_id, request_fingerprint, response, created_at_us)
            VALUES ($1, $2, $3, $4, $5)
            """, [.text(scope), .text(requestID), .blob(fingerprint), .blob(response), .integer(now)])
    }
}
