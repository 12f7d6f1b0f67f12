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
    /// Wake-ups seen so far, and the streams waiting for the next one.
    private struct Waiting {
        var generation: UInt64 = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var lastWaiter = 0
    }
    private let waiting = Mutex(Waiting())
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
                    let woken = self.waiting.withLock { state in
                        state.generation &+= 1
                        defer { state.waiters = [:] }
                        return Array(state.waiters.values)
                    }
                    for waiter in woken { waiter.resume() }
                }
            }
        }
    }

    /// The sequence of the latest change: a stream's cursor before it reads its snapshot.
    public func latest() async throws -> Int64 {
        try await store.read { tx in try tx.query("SELECT last_seq FROM audit_head WHERE id = 1").first?.int64("last_seq") ?? 0 }
    }

    /// The next changes after `cursor` whose action starts with one of `prefixes`, oldest first,
    /// waiting until there are some; moves `cursor` past what was read.
    public func next(after cursor: inout Int64, actionPrefixes prefixes: [String]) async throws -> [Change] {
        while true {
            try Task.checkCancellation()
            let seen = generation
            let (changes, next) = try await self.changes(after: cursor, actionPrefixes: prefixes)
            let readNothing = next == cursor
            cursor = next
            if !changes.isEmpty { return changes }
            // A batch of other changes: read on at once; nothing at all: wait for a commit.
            if readNothing { try await wait(since: seen) }
        }
    }

    /// Wake-ups seen so far: taken before reading changes, and given to `wait(since:)` after, so
    /// a commit between the two is not slept through.
    public var generation: UInt64 {
        startListening()
        return waiting.withLock { $0.generation }
    }

    /// Changes after `cursor` whose action starts with one of `prefixes`, oldest first, and the
    /// cursor past what was read (matching or not).
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

    /// Returns once a change wake-up came after `seen` (at once if one already has), or after the
    /// poll interval, whichever is first; a waiting stream costs nothing until then. Throws
    /// CancellationError when the stream's task is cancelled.
    public func wait(since seen: UInt64) async throws {
        startListening()
        let id = waiting.withLock { state in
            state.lastWaiter += 1
            return state.lastWaiter
        }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: Self.pollInterval)
            self?.resume(id)
        }
        defer { timer.cancel() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = waiting.withLock { state -> Bool in
                    // Woken or cancelled before it could wait: no need to.
                    if state.generation != seen || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            resume(id)
        }
        try Task.checkCancellation()
    }

    private func resume(_ id: Int) {
        waiting.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
    }
}
