/// Dedicated threads for blocking work that is not a transaction (password hashing, file I/O):
/// it runs neither on an event loop nor on Swift's cooperative pool. Bounded: past
/// `queueCapacity` waiting jobs, work is refused at once with `StoreError.overloaded`.
public final class BlockingPool: Sendable {
    private let threads: DatabaseThreadPool<Void>

    private init(threads: DatabaseThreadPool<Void>) {
        self.threads = threads
    }

    /// Starts `threadCount` threads sharing a queue of at most `queueCapacity` waiting jobs.
    public static func start(name: String, threadCount: Int, queueCapacity: Int) async throws -> BlockingPool {
        BlockingPool(threads: try await DatabaseThreadPool<Void>.start(name: name, threadCount: threadCount,
                                                                        queueCapacity: queueCapacity) { _ in () })
    }

    /// Runs `work` on one of the pool's threads and returns its result.
    public func run<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await threads.run { _ in try work() }
    }

    /// Lets queued and running work finish, then ends the threads.
    public func close() async {
        await threads.close()
    }
}
