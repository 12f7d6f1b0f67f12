import Store
import Trust

/// The append-only audit log, hash-chained: each entry stores the SHA-256 of its own contents
/// together with the previous entry's hash, so editing, deleting or reordering any entry breaks
/// every link after it, and `verify` names the first broken one.
///
/// Entries are appended inside the transaction of the change they record: an event is logged if
/// and only if its change committed.
public enum AuditLog {
    /// The hash before the first entry.
    static let genesisHash = [UInt8](repeating: 0, count: Digest.sha256ByteCount)
    /// Entries read per query while verifying.
    static let verifyPageSize = 1000

    /// Appends `entry` after the current last entry; returns its sequence number.
    @discardableResult
    public static func append(_ entry: AuditEntry, in tx: any WriteTransaction, dialect: SQLDialect) throws -> Int64 {
        // One appender at a time: the head row is locked until the transaction ends (SQLite has
        // a single writer already; PostgreSQL needs the row lock for instances writing at once).
        let lock = dialect == .postgres ? " FOR UPDATE" : ""
        guard let head = try tx.query("SELECT last_seq, last_hash FROM audit_head WHERE id = 1" + lock, []).first else {
            throw StoreError.schema("audit_head has no row: the audit log was not initialised by its migration")
        }
        let sequence = try head.int64("last_seq") + 1
        let previous = try head.bytes("last_hash")
        let hash = chainHash(sequence: sequence, previous: previous, entry: entry)
        try tx.execute("""
            INSERT INTO audit_log (seq, at_us, actor, role, certificate_thumbprint, method, resource, action, outcome,
                                   detail, previous_hash, hash)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            """, [.integer(sequence), .integer(entry.atMicroseconds), .text(entry.actor), .integer(Int64(entry.role)),
                  .text(entry.certificateThumbprint), .text(entry.method), .text(entry.resource), .text(entry.action),
                  .text(entry.outcome), .text(entry.detail), .blob(previous), .blob(hash)])
        try tx.execute("UPDATE audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1", [.integer(sequence), .blob(hash)])
        // Live views read the log as their change feed: wake them when this commits (on
        // PostgreSQL, every instance's; nothing is sent if the transaction rolls back).
        try tx.announceChange()
        return sequence
    }

    /// What `verify` found.
    public enum Verification: Sendable, Hashable {
        /// Every entry links to the one before and hashes to what it stores.
        case intact(entries: Int64)
        /// The first entry that does not, and why.
        case broken(sequence: Int64, reason: String)
    }

    /// Walks the whole chain from the first entry and reports the first broken link.
    public static func verify(_ store: any StoreEngine) async throws -> Verification {
        var expectedSequence: Int64 = 1
        var previous = genesisHash
        while true {
            let from = expectedSequence
            let rows = try await store.read { tx in
                try tx.query("""
                    SELECT seq, at_us, actor, role, certificate_thumbprint, method, resource, action, outcome, detail,
                           previous_hash, hash
                    FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2
                    """, [.integer(from), .integer(Int64(verifyPageSize))])
            }
            for row in rows {
                let sequence = try row.int64("seq")
                guard sequence == expectedSequence else {
                    return .broken(sequence: expectedSequence, reason: "entry \(expectedSequence) is missing (the next is \(sequence))")
                }
                let entry = AuditEntry(atMicroseconds: try row.int64("at_us"), actor: try row.string("actor"),
                                       role: Int32(truncatingIfNeeded: try row.int64("role")),
                                       certificateThumbprint: try row.string("certificate_thumbprint"),
                                       method: try row.string("method"), resource: try row.string("resource"),
                                       action: try row.string("action"), outcome: try row.string("outcome"),
                                       detail: try row.string("detail"))
                guard try row.bytes("previous_hash") == previous else {
                    return .broken(sequence: sequence, reason: "its previous-hash does not match entry \(sequence - 1)")
                }
                guard try row.bytes("hash") == chainHash(sequence: sequence, previous: previous, entry: entry) else {
                    return .broken(sequence: sequence, reason: "its contents do not match its hash (the entry was changed)")
                }
                previous = try row.bytes("hash")
                expectedSequence += 1
            }
            if rows.count < verifyPageSize { break }
        }
        let head = try await store.read { tx in try tx.query("SELECT last_seq, last_hash FROM audit_head WHERE id = 1", []).first }
        let count = expectedSequence - 1
        if let head, try head.int64("last_seq") != count || head.bytes("last_hash") != previous {
            return .broken(sequence: count + 1, reason: "the log ends at entry \(count) but its head records entry \(try head.int64("last_seq")) (entries were deleted from the end)")
        }
        return .intact(entries: count)
    }

    /// SHA-256 over the sequence number, the previous hash and every field, each length-prefixed
    /// so that no two different entries encode alike.
    static func chainHash(sequence: Int64, previous: [UInt8], entry: AuditEntry) -> [UInt8] {
        var bytes: [UInt8] = Array("medexpress audit v1".utf8)
        func field(_ value: [UInt8]) {
            let count = UInt32(value.count)
            bytes += [UInt8(count >> 24), UInt8(truncatingIfNeeded: count >> 16), UInt8(truncatingIfNeeded: count >> 8),
                      UInt8(truncatingIfNeeded: count)]
            bytes += value
        }
        func field(_ value: Int64) { field((0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }) }
        field(sequence)
        field(previous)
        field(entry.atMicroseconds)
        field(Array(entry.actor.utf8))
        field(Int64(entry.role))
        field(Array(entry.certificateThumbprint.utf8))
        field(Array(entry.method.utf8))
        field(Array(entry.resource.utf8))
        field(Array(entry.action.utf8))
        field(Array(entry.outcome.utf8))
        field(Array(entry.detail.utf8))
        return Digest.sha256(bytes)
    }
}
