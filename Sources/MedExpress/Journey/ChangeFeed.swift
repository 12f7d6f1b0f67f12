import Store
import Synchronization

/// Changes as live views see them: the audit log read as a feed. Every state change writes an
/// audit entry in its own transaction, and entries take their sequence numbers under the audit
/// head's row lock, so they commit in sequence order on either engine and a reader holding a
/// cursor never skips one. A stream reads what follows its cursor, then waits for a wake-up from
/// a commit in this process or for the poll interval, which is how it sees changes made by
/// other server processes on the same PostgreSQL.
public final class ChangeFeed: Sendable {
    /// One change: what was acted on and what happened (no health data; the stream loads it).
    public struct Change: Sendable, Hashable {
        public let sequence: Int64
        public let resource: String
        public let action: String
        public let atMicroseconds: Int64
    }

    /// How long a waiting stream sleeps at most before looking again.
    static let pollInterval: Duration = .milliseconds(200)
    /// Changes read per query.
    static let batchSize = 200

    let store: any StoreEngine
    private let generation = Mutex<UInt64>(0)

    public init(store: any StoreEngine) { self.store = store }

    /// Tells waiting streams in this process that something committed.
    public func notify() { generation.withLock { $0 &+= 1 } }

    /// The sequence of the latest change: a stream's cursor before it reads its snapshot.
    public func latest() async throws -> Int64 {
        try await store.read { tx in try tx.query("SELECT last_seq FROM audit_head WHERE id = 1").first?.int64("last_seq") ?? 0 }
    }

    /// Changes after `cursor` whose action starts with one of `prefixes`, oldest first.
    public func changes(after cursor: Int64, actionPrefixes prefixes: [String]) async throws -> (changes: [Change], cursor: Int64) {
        let rows = try await store.read { tx in
            try tx.query("SELECT seq, resource, action, at_us FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
                         [.integer(cursor), .integer(Int64(Self.batchSize))])
        }
        var changes: [Change] = []
        var last = cursor
        for row in rows {
            last = try row.int64("seq")
            let action = try row.string("action")
            guard prefixes.contains(where: { action.hasPrefix($0) }) else { continue }
            changes.append(Change(sequence: last, resource: try row.string("resource"), action: action,
                                  atMicroseconds: try row.int64("at_us")))
        }
        return (changes, last)
    }

    /// Returns after a commit in this process or the poll interval, whichever is first; throws
    /// CancellationError when the stream's task is cancelled.
    public func wait() async throws {
        let seen = generation.withLock { $0 }
        let step: Duration = .milliseconds(20)
        var waited: Duration = .zero
        while waited < Self.pollInterval {
            try await Task.sleep(for: step)
            waited += step
            if generation.withLock({ $0 }) != seen { return }
        }
    }
}
