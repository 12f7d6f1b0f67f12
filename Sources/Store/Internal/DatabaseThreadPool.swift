import Glibc
import Synchronization

/// A fixed set of dedicated threads, each opening one database connection and owning it for its
/// whole life (the connection is touched by that thread only), taking jobs from one bounded
/// queue. Async callers suspend on a continuation until their job has run on one of the threads;
/// neither the caller's thread nor Swift's cooperative pool ever blocks on the database.
final class DatabaseThreadPool<Connection>: Sendable {
    /// The pool's name, for messages ("sqlite-writer", "sqlite-reader", "postgres").
    let name: String
    private let queue: JobQueue<Connection>
    private let lifecycle: Lifecycle

    private init(name: String, queue: JobQueue<Connection>, lifecycle: Lifecycle) {
        self.name = name
        self.queue = queue
        self.lifecycle = lifecycle
    }

    deinit {
        // An engine dropped without close(): its threads finish what is queued and end.
        queue.close()
    }

    /// Starts `threadCount` threads, each opening its connection with `open(threadIndex)` on that
    /// thread. Returns once every connection is open; if any fails, waits for the others to close
    /// and throws the first failure.
    static func start(name: String, threadCount: Int, queueCapacity: Int,
                      open: @escaping @Sendable (Int) throws -> Connection) async throws -> DatabaseThreadPool {
        precondition(threadCount >= 1 && queueCapacity >= 1)
        let queue = JobQueue<Connection>(capacity: queueCapacity)
        let lifecycle = Lifecycle(threadCount: threadCount)
        for index in 0..<threadCount {
            let started = startThread {
                var connection: Connection?
                do {
                    connection = try open(index)
                    lifecycle.threadOpened(failure: nil)
                } catch {
                    lifecycle.threadOpened(failure: error)
                }
                if let connection {
                    while let job = queue.take() { job(connection) }
                }
                connection = nil // closes it here, on its own thread
                lifecycle.threadEnded()
            }
            if started != 0 {
                let failure = StoreError.unavailable("cannot start a \(name) thread: \(String(cString: strerror(started)))")
                lifecycle.threadsNeverStarted(threadCount - index, failure: failure)
                break
            }
        }
        let pool = DatabaseThreadPool(name: name, queue: queue, lifecycle: lifecycle)
        if let failure = await lifecycle.waitUntilOpened() {
            await pool.close()
            throw failure
        }
        return pool
    }

    /// Runs `work` on one of the pool's threads with its connection and returns its result.
    /// Throws `StoreError.overloaded` when the queue is full, `.unavailable` once the pool is
    /// closing, and `CancellationError` when the task was cancelled before the work started.
    func run<Result: Sendable>(_ work: @escaping @Sendable (Connection) throws -> Result) async throws -> Result {
        let cancelled = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
                let admission = queue.offer { connection in
                    if cancelled.isSet {
                        continuation.resume(throwing: CancellationError())
                        return
                    }
                    continuation.resume(with: Swift.Result { try work(connection) })
                }
                switch admission {
                case .accepted:
                    break
                case .full:
                    continuation.resume(throwing: StoreError.overloaded(
                        "\(queue.capacity) transactions already wait for the \(name) connections; try again shortly"))
                case .closed:
                    continuation.resume(throwing: StoreError.unavailable("the store is closed (\(name))"))
                }
            }
        } onCancel: {
            cancelled.set()
        }
    }

    /// Refuses new work from now on; what is queued or running still finishes.
    func stopAccepting() {
        queue.close()
    }

    /// Refuses new work, lets queued and running work finish, and returns once every thread has
    /// closed its connection and ended.
    func close() async {
        queue.close()
        await lifecycle.waitUntilEnded()
    }

    /// How many jobs wait for a thread (not counting those running).
    var waitingCount: Int { queue.waitingCount }

    /// The queue's bound.
    var queueCapacity: Int { queue.capacity }
}

/// Set once when the task waiting for a job is cancelled; read by the thread about to run it.
private final class CancellationFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// Counts a pool's threads through opening their connections and ending, and wakes whoever waits.
private final class Lifecycle: Sendable {
    private struct State {
        var opening: Int
        var running: Int
        var firstFailure: (any Error)?
        var openedWaiter: CheckedContinuation<(any Error)?, Never>?
        var endedWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    init(threadCount: Int) {
        state = Mutex(State(opening: threadCount, running: threadCount))
    }

    func threadOpened(failure: (any Error)?) {
        let waiter: (CheckedContinuation<(any Error)?, Never>, (any Error)?)? = state.withLock { state in
            state.opening -= 1
            if state.firstFailure == nil, let failure { state.firstFailure = failure }
            guard state.opening == 0, let waiter = state.openedWaiter else { return nil }
            state.openedWaiter = nil
            return (waiter, state.firstFailure)
        }
        if let (continuation, failure) = waiter { continuation.resume(returning: failure) }
    }

    func threadsNeverStarted(_ count: Int, failure: StoreError) {
        for _ in 0..<count {
            threadOpened(failure: failure)
            threadEnded()
        }
    }

    func threadEnded() {
        let waiters = state.withLock { state in
            state.running -= 1
            guard state.running == 0 else { return [CheckedContinuation<Void, Never>]() }
            defer { state.endedWaiters.removeAll() }
            return state.endedWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// The first failure to open a connection, or nil once all are open.
    func waitUntilOpened() async -> (any Error)? {
        await withCheckedContinuation { continuation in
            let done: (any Error)?? = state.withLock { state in
                if state.opening == 0 { return .some(state.firstFailure) }
                state.openedWaiter = continuation
                return .none
            }
            if let failure = done { continuation.resume(returning: failure) }
        }
    }

    func waitUntilEnded() async {
        await withCheckedContinuation { continuation in
            let ended = state.withLock { state in
                if state.running == 0 { return true }
                state.endedWaiters.append(continuation)
                return false
            }
            if ended { continuation.resume() }
        }
    }
}
