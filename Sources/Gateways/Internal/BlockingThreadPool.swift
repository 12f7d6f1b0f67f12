import Glibc

/// A fixed set of dedicated threads taking jobs from one bounded queue, for blocking work
/// (socket I/O with `poll`) that must run neither on an event loop nor on Swift's cooperative
/// pool. Async callers suspend on a continuation until their job has run.
///
/// The threads hold the queue, not the pool: dropping the pool closes the queue, and the threads
/// finish what is queued and end.
final class BlockingThreadPool: Sendable {
    /// Why a job was not taken.
    enum Refusal: Error, Hashable, Sendable {
        /// `queueCapacity` jobs already wait for a thread.
        case full(queueCapacity: Int)
        /// The pool was closed.
        case closed
    }

    /// The pool's name, for messages ("stripe-http").
    let name: String
    private let queue: BlockingJobQueue

    /// Starts `threadCount` threads sharing a queue of at most `queueCapacity` waiting jobs.
    /// Threads that cannot be started are skipped; with none at all every job is refused.
    init(name: String, threadCount: Int, queueCapacity: Int) {
        precondition(threadCount >= 1 && queueCapacity >= 1, "a pool needs a thread and room for a job")
        self.name = name
        let queue = BlockingJobQueue(capacity: queueCapacity)
        self.queue = queue
        var started = 0
        for _ in 0..<threadCount where startDetachedThread({ while let job = queue.take() { job() } }) {
            started += 1
        }
        if started == 0 { queue.close() }
    }

    deinit { queue.close() }

    /// Runs `work` on one of the pool's threads and returns its result, or why it was refused.
    func run<Value: Sendable>(_ work: @escaping @Sendable () -> Value) async -> Result<Value, Refusal> {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result<Value, Refusal>, Never>) in
            let admission = queue.offer { continuation.resume(returning: .success(work())) }
            if let refusal = admission { continuation.resume(returning: .failure(refusal)) }
        }
    }

    /// Refuses new work from now on; queued and running work still finishes.
    func close() { queue.close() }
}

/// The pool's queue: a pthread mutex and condition variable around a bounded FIFO of jobs.
private final class BlockingJobQueue: @unchecked Sendable {
    let capacity: Int
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Guarded by `mutex`.
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0
    private var isClosed = false

    init(capacity: Int) {
        self.capacity = capacity
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Queues `job`; nil when accepted, else why not.
    func offer(_ job: @escaping @Sendable () -> Void) -> BlockingThreadPool.Refusal? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if isClosed { return .closed }
        guard jobs.count - head < capacity else { return .full(queueCapacity: capacity) }
        jobs.append(job)
        pthread_cond_signal(condition)
        return nil
    }

    /// The next job, waiting for one; nil once the queue is closed and empty.
    func take() -> (@Sendable () -> Void)? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while head == jobs.count {
            if isClosed { return nil }
            pthread_cond_wait(condition, mutex)
        }
        let job = jobs[head]
        head += 1
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        }
        return job
    }

    func close() {
        pthread_mutex_lock(mutex)
        isClosed = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }
}

/// The closure a new thread runs, passed through pthread_create's context pointer.
private final class ThreadBody {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

/// Starts a detached thread running `body`; false when pthread_create refused.
private func startDetachedThread(_ body: @escaping () -> Void) -> Bool {
    let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(&thread, nil, { context in
        let body = Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue()
        body.body()
        return nil
    }, context)
    guard result == 0 else {
        Unmanaged<ThreadBody>.fromOpaque(context).release()
        return false
    }
    pthread_detach(thread)
    return true
}
