import RPCCore
import Store

/// Backs off repeated failures per key ("account:…", "address:…", "register:…"): after
/// `freeFailures` within the decay window, each further failure locks the key for twice as long
/// as the last, up to `maxLockSeconds`. Kept in the database, so every instance sees the same
/// count and a restart does not reset it.
public struct SignInThrottle: Sendable {
    /// One kind of key and its allowance.
    struct Rule: Sendable {
        let prefix: String
        let freeFailures: Int64
        let maxLockSeconds: Int64
        /// Failures older than this are forgotten.
        let decaySeconds: Int64

        /// Failed sign-ins to one account.
        static let account = Rule(prefix: "account", freeFailures: 5, maxLockSeconds: 15 * 60, decaySeconds: 24 * 60 * 60)
        /// Failed sign-ins from one source address, whichever accounts they tried.
        static let address = Rule(prefix: "address", freeFailures: 20, maxLockSeconds: 15 * 60, decaySeconds: 60 * 60)
        /// Registrations from one source address.
        static let registration = Rule(prefix: "register", freeFailures: 10, maxLockSeconds: 60 * 60, decaySeconds: 60 * 60)
    }

    /// A plain rate: at most `limit` attempts per key in each window of `windowSeconds`.
    struct Rate: Sendable {
        let prefix: String
        let limit: Int64
        let windowSeconds: Int64

        /// Sign-in attempts, successful or not, from one source address.
        static let signIn = Rate(prefix: "signin-rate", limit: 30, windowSeconds: 60)
    }

    /// Counts one attempt in `key`'s current window; past the limit the key is locked until the
    /// window ends (and `check` refuses it meanwhile). One upsert, safe against concurrent counts.
    static func countAttempt(_ rate: Rate, _ key: String, now: Int64, in tx: any WriteTransaction) throws {
        let fullKey = "\(rate.prefix):\(key)"
        let window = rate.windowSeconds * 1_000_000
        // `updated_at_us` is the window's start here; a new window starts the count over.
        try tx.execute("""
            INSERT INTO login_throttles (key, failures, locked_until_us, updated_at_us) VALUES ($1, 1, 0, $2)
            ON CONFLICT (key) DO UPDATE SET
                failures = CASE WHEN $2 - login_throttles.updated_at_us < $3 THEN login_throttles.failures + 1 ELSE 1 END,
                locked_until_us = CASE WHEN $2 - login_throttles.updated_at_us < $3 THEN login_throttles.locked_until_us ELSE 0 END,
                updated_at_us = CASE WHEN $2 - login_throttles.updated_at_us < $3 THEN login_throttles.updated_at_us ELSE $2 END
            """, [.text(fullKey), .integer(now), .integer(window)])
        guard let row = try tx.query("SELECT failures, updated_at_us FROM login_throttles WHERE key = $1", [.text(fullKey)]).first,
              try row.int64("failures") >= rate.limit else { return }
        // The attempt that reaches the limit is the last one the window lets through.
        try tx.execute("UPDATE login_throttles SET locked_until_us = $2 WHERE key = $1",
                       [.text(fullKey), .integer(try row.int64("updated_at_us") + window)])
    }

    /// RESOURCE_EXHAUSTED while `key` is over its rate.
    static func check(_ rate: Rate, _ key: String, now: Int64, in tx: any ReadTransaction, context: ServerContext) throws {
        try checkLock("\(rate.prefix):\(key)", now: now, in: tx, context: context)
    }

    /// RESOURCE_EXHAUSTED when `key` is locked at `now`, with the seconds to wait in the message
    /// and in the `retry-after-seconds` trailer.
    static func check(_ rule: Rule, _ key: String, now: Int64, in tx: any ReadTransaction, context: ServerContext) throws {
        try checkLock("\(rule.prefix):\(key)", now: now, in: tx, context: context)
    }

    private static func checkLock(_ fullKey: String, now: Int64, in tx: any ReadTransaction, context: ServerContext) throws {
        guard let row = try tx.query("SELECT locked_until_us FROM login_throttles WHERE key = $1", [.text(fullKey)]).first else { return }
        let lockedUntil = try row.int64("locked_until_us")
        guard lockedUntil > now else { return }
        let seconds = (lockedUntil - now + 999_999) / 1_000_000
        context.trailingMetadata.add("retry-after-seconds", String(seconds))
        throw Status(.resourceExhausted, "too many attempts; try again in \(seconds) s")
    }

    /// Counts one failure (or, for registrations, one attempt) against `key`. One upsert, so two
    /// requests counting the same key at once (on two instances, say) both count.
    static func recordFailure(_ rule: Rule, _ key: String, now: Int64, in tx: any WriteTransaction) throws {
        let fullKey = "\(rule.prefix):\(key)"
        try tx.execute("""
            INSERT INTO login_throttles (key, failures, locked_until_us, updated_at_us) VALUES ($1, 1, 0, $2)
            ON CONFLICT (key) DO UPDATE SET
                failures = CASE WHEN $2 - login_throttles.updated_at_us < $3 THEN login_throttles.failures + 1 ELSE 1 END,
                updated_at_us = $2
            """, [.text(fullKey), .integer(now), .integer(rule.decaySeconds * 1_000_000)])
        let failures = try tx.query("SELECT failures FROM login_throttles WHERE key = $1", [.text(fullKey)]).first?.int64("failures") ?? 1
        guard failures > rule.freeFailures else { return }
        let doublings = min(failures - rule.freeFailures - 1, 20)
        let lockedUntil = now + min(Int64(1) << doublings, rule.maxLockSeconds) * 1_000_000
        try tx.execute("UPDATE login_throttles SET locked_until_us = $2 WHERE key = $1", [.text(fullKey), .integer(lockedUntil)])
    }

    /// Forgets `key`'s failures (a successful sign-in to the account).
    static func reset(_ rule: Rule, _ key: String, in tx: any WriteTransaction) throws {
        try tx.execute("DELETE FROM login_throttles WHERE key = $1", [.text("\(rule.prefix):\(key)")])
    }

    /// The longest any rule remembers a key, so rows older than this (and not locked) are dead.
    static let longestMemorySeconds: Int64 = 24 * 60 * 60

    /// Deletes up to `batch` rows no rule remembers any more; returns how many went. Keys are made
    /// for unknown accounts and addresses too, so without this the table only grows.
    public static func prune(store: any StoreEngine, now: Int64, batch: Int = 1000) async throws -> Int {
        let cutoff = now - longestMemorySeconds * 1_000_000
        return try await store.write { tx in
            try tx.execute("""
                DELETE FROM login_throttles WHERE key IN (
                    SELECT key FROM login_throttles WHERE updated_at_us < $1 AND locked_until_us < $2 LIMIT $3)
                """, [.integer(cutoff), .integer(now), .integer(Int64(batch))])
        }
    }

    /// The address part of a peer address: "127.0.0.1:5000" → "127.0.0.1", "[::1]:5000" → "::1".
    static func host(of peerAddress: String) -> String {
        if peerAddress.hasPrefix("["), let close = peerAddress.firstIndex(of: "]") {
            return String(peerAddress[peerAddress.index(after: peerAddress.startIndex)..<close])
        }
        guard let colon = peerAddress.lastIndex(of: ":") else { return peerAddress }
        return String(peerAddress[..<colon])
    }
}
