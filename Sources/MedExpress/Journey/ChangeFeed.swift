import Store
import Synchronization

/// Changes as live views see them: the audit log read as a feed. Every state change writes an
/// audit entry in its own transaction, and entries take their sequence numbers under the audit
/// head's row lock, so they commit in sequence order on either engine and a reader holding a
/// cursor never skips one. A stream reads what follows its cursor, then waits for a wake-up: the
/// store's change wake-ups, which every audited commit announces (on PostgreSQL by NOTIFY, so a
/// commit through any server process wakes the streams of all), with a poll as a safety net.
public final class ChangeFeed: Sendable {
    /// One change: what was acted on and what happened (no health data; the stream loads it).
    public struct Change: Sendable, Hashable {
        public let sequence: Int64
        /// Who acted: "cus_…", "stf_…", a service account or "system".
        public let actor: String
        public let resource: String
        public let action: String
        public let atMicroseconds: Int64
    }

    /// How long a waiting stream sleeps at most before looking again, should a wake-up be lost
    /// (the PostgreSQL listener reconnecting says so itself, so this is only a safety net).
    static let pollInterval: Duration = .seconds(1)
    /// Changes read per query.
    static let batchSize = 200

    let store: any StoreEngine
    /// Bumped at every wake-up; a waiting stream returns when it changes.
    private let generation = Mutex<UInt64>(0)
    /// The task reading the store's wake-ups, started by the first stream that waits.
    private let listening = Mutex<Task<Void, Never>?>(nil)

    public init(store: any StoreEngine) { self.store = store }

    deinit { listening.withLock { $0?.cancel() } }

    /// Reads the store's change wake-ups into `generation`, once per feed.
    private func startListening() {
        listening.withLock { task in
            guard task == nil else { return }
            let wakeUps: AsyncStream<Void>
            do {
                wakeUps = try store.changeWakeUps()
            } catch {
                // No wake-ups (the store is closing or out of streams): the poll still runs.
                return
            }
            task = Task.detached { [weak self] in
                for await _ in wakeUps {
                    guard let self else { return }
                    self.generation.withLock { $0 &+= 1 }
                }
            }
        }
    }

    /// The sequence of the latest change: a stream's cursor before it reads its snapshot.
    public func latest() async throws -> Int64 {
        try await store.read { tx in try tx.query("SELECT last_seq FROM audit_head WHERE id = 1").first?.int64("last_seq") ?? 0 }
    }

    /// Changes after `cursor` whose action starts with one of `prefixes`, oldest first.
    public func changes(after cursor: Int64, actionPrefixes prefixes: [String]) async throws -> (changes: [Change], cursor: Int64) {
        let rows = try await store.read { tx in
            try tx.query("SELECT seq, actor, resource, action, at_us FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
                         [.integer(cursor), .integer(Int64(Self.batchSize))])
        }
        var changes: [Change] = []
        var last = cursor
        for row in rows {
            last = try row.int64("seq")
            let action = try row.string("action")
            guard prefixes.contains(where: { action.hasPrefix($0) }) else { continue }
            changes.append(Change(sequence: last, actor: try row.string("actor"), resource: try row.string("resource"), action: action,
                                  atMicroseconds: try row.int64("at_us")))
        }
        return (changes, last)
    }

    /// Returns after a commit in this process or the poll interval, whichever is first; throws
    /// CancellationError when the stream's task is cancelled.
    public func wait() async throws {
        startListening()
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
