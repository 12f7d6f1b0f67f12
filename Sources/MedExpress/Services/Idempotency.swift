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

extension Idempotency {
    /// Runs `body` once per `requestID` in `scope`: the first call's `body` runs in a write
    /// transaction that also records what it returned; a retry gets those bytes back without
    /// running it again. What is recorded is kept in clear, so it must be a reference (an id)
    /// or a response free of personal and health data.
    static func once(scope: String, requestID: String, fingerprint: [UInt8], store: any StoreEngine, now: Int64,
                     _ body: @escaping @Sendable (any WriteTransaction) throws -> [UInt8]) async throws -> [UInt8] {
        if let earlier = try await earlierResponse(scope: scope, requestID: requestID, fingerprint: fingerprint, store: store) {
            return earlier
        }
        do {
            return try await store.write { tx in
                let recorded = try body(tx)
                try record(scope: scope, requestID: requestID, fingerprint: fingerprint, response: recorded, now: now, in: tx)
                return recorded
            }
        } catch StoreError.uniqueViolation(let constraint, _) where constraint == "idempotency_keys_pkey" {
            // The same request arrived twice at once; the other one won.
            if let earlier = try await earlierResponse(scope: scope, requestID: requestID, fingerprint: fingerprint, store: store) {
                return earlier
            }
            throw Status(.aborted, "a request with this request_id is in progress; retry")
        }
    }

    /// INVALID_ARGUMENT unless `requestID` is a usable idempotency key.
    static func check(_ requestID: String) throws(Status) {
        guard !requestID.isEmpty, requestID.utf8.count <= maxRequestIDBytes else {
            throw Status(.invalidArgument, "request_id: an idempotency key of 1 to \(maxRequestIDBytes) characters is needed")
        }
    }

    /// The longest idempotency key accepted.
    static let maxRequestIDBytes = 128
}
