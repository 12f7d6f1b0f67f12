import Glibc

/// A FIFO of at most `capacity` waiting jobs, taken by the dedicated threads that run them.
/// Producers never wait: a full or closed queue refuses the job at once. Consumers block until a
/// job arrives or the queue is closed and empty.
final class JobQueue<Connection>: @unchecked Sendable {
    /// One unit of work, run on a database thread with that thread's connection.
    typealias Job = @Sendable (Connection) -> Void

    /// What became of a job offered to the queue.
    enum Admission {
        case accepted
        case full
        case closed
    }

    let capacity: Int
    // Guarded by `mutex`; `head` indexes the oldest job so taking one costs no shifting.
    private var jobs: [Job?] = []
    private var head = 0
    private var isClosed = false
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let jobArrived: UnsafeMutablePointer<pthread_cond_t>

    init(capacity: Int) {
        precondition(capacity >= 1, "a job queue holds at least one job")
        self.capacity = capacity
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        jobArrived = .allocate(capacity: 1)
        jobArrived.initialize(to: pthread_cond_t())
        pthread_cond_init(jobArrived, nil)
    }

    deinit {
        pthread_cond_destroy(jobArrived)
        jobArrived.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Adds `job` unless the queue is full or closed.
    func offer(_ job: @escaping Job) -> Admission {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if isClosed { return .closed }
        if jobs.count - head >= capacity { return .full }
        jobs.append(job)
        pthread_cond_signal(jobArrived)
        return .accepted
    }

    /// The oldest job, waiting for one if need be; nil once the queue is closed and drained.
    func take() -> Job? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while head == jobs.count {
            if isClosed { return nil }
            pthread_cond_wait(jobArrived, mutex)
        }
        let job = jobs[head]
        jobs[head] = nil
        head += 1
        if head == jobs.count || head >= 64 && head * 2 >= jobs.count {
            jobs.removeFirst(head)
            head = 0
        }
        return job
    }

    /// Refuses new jobs from now on; the jobs already queued still run.
    func close() {
        pthread_mutex_lock(mutex)
        isClosed = true
        pthread_cond_broadcast(jobArrived)
        pthread_mutex_unlock(mutex)
    }

    /// How many jobs wait (not counting those running).
    var waitingCount: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return jobs.count - head
    }
}
