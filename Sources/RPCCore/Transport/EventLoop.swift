import CLinux
import Glibc
import Synchronization

/// Something registered with an event loop for readiness events on a file descriptor.
/// Called only on the loop's thread.
public protocol EventLoopSelectable: AnyObject {
    /// Handles the epoll events (`EPOLLIN`, `EPOLLOUT`, `EPOLLHUP`, `EPOLLERR`) reported for the descriptor.
    func handleEvents(_ events: UInt32)
}

/// One thread running epoll: it owns the connections registered with it for their whole life, runs
/// their timers, and doubles as a Swift `TaskExecutor` so that a call's handler can start on the
/// loop of its connection without a thread hop.
public final class EventLoop: @unchecked Sendable, TaskExecutor, CustomStringConvertible {
    /// The loop's index in its group, used in logs.
    public let index: Int

    /// The most events taken from one `epoll_wait`.
    static let maxEventsPerWait = 256
    /// The most jobs run in one tick before the loop polls sockets again, so a busy task queue
    /// cannot starve I/O.
    static let maxJobsPerTick = 4096

    private let epollFD: Int32
    private let wakeFD: Int32
    private let wakeRequested = Atomic<Bool>(false)
    private let threadID = Atomic<UInt>(0)
    private let stopRequested = Atomic<Bool>(false)

    private struct Inbox {
        var closures: [@Sendable () -> Void] = []
        var jobs: [UnownedJob] = []
        /// Set once the loop thread has ended: late work then runs on the caller's thread.
        var isStopped = false
    }
    /// Whether the loop thread has ended (set under the inbox lock with `Inbox.isStopped`).
    private let hasStopped = Atomic<Bool>(false)
    private let inbox = Mutex(Inbox())

    // Loop-confined state: touched only on the loop thread.
    private var selectables: [Int32: EventLoopSelectable] = [:]
    private var localJobs: [UnownedJob] = []
    private var localClosures: [() -> Void] = []
    private var endOfTick: [() -> Void] = []
    private var timers = TimerHeap()

    /// Scratch space for socket reads, shared by every connection on this loop (loop thread only):
    /// idle connections then hold no read buffer of their own.
    public let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    /// Creates a loop; call `run()` on a thread of its own (EventLoopGroup does).
    public init(index: Int) {
        self.index = index
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epollFD >= 0, "epoll_create1 failed: errno \(errno)")
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        precondition(wakeFD >= 0, "eventfd failed: errno \(errno)")
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeFD
        precondition(epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event) == 0)
    }

    deinit {
        readBuffer.deallocate()
        close(epollFD)
        close(wakeFD)
    }

    public var description: String { "EventLoop(\(index))" }

    /// Whether the caller runs on this loop's thread, or the loop has stopped: the objects it owned
    /// have no thread of their own any more, and late work on them runs where it is called from
    /// (so a call or channel used after shutdown ends instead of waiting forever).
    public var inEventLoop: Bool {
        isLoopThread || hasStopped.load(ordering: .acquiring)
    }

    private var isLoopThread: Bool {
        threadID.load(ordering: .relaxed) == UInt(pthread_self())
    }

    // MARK: Scheduling work

    /// Runs `work` on the loop thread, soon. Safe from any thread.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        let queued = inbox.withLock { inbox -> Bool in
            guard !inbox.isStopped else { return false }
            inbox.closures.append(work)
            return true
        }
        if queued { wake() } else { work() }
    }

    /// Runs `work` on the loop thread after the current event has been handled. Loop thread only.
    public func executeLocal(_ work: @escaping () -> Void) {
        assertInEventLoop()
        if isLoopThread { localClosures.append(work) } else { work() }
    }

    /// Runs `work` once at the end of this loop iteration, after all events and jobs: the place to
    /// flush a connection's output so that many responses leave in one write. Loop thread only.
    public func atEndOfTick(_ work: @escaping () -> Void) {
        assertInEventLoop()
        if isLoopThread { endOfTick.append(work) } else { work() }
    }

    /// Takes a Swift task job: runs it on the loop thread.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if isLoopThread {
            localJobs.append(job)
            return
        }
        let queued = inbox.withLock { inbox -> Bool in
            guard !inbox.isStopped else { return false }
            inbox.jobs.append(job)
            return true
        }
        if queued {
            wake()
        } else {
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }

    private func wake() {
        if !wakeRequested.exchange(true, ordering: .acquiringAndReleasing) {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, 8)
        }
    }

    /// Traps unless called on the loop thread: connections are confined to their loop.
    @inline(__always)
    public func assertInEventLoop(file: StaticString = #fileID, line: UInt = #line) {
        assert(inEventLoop, "called off its event loop", file: file, line: line)
    }

    // MARK: Descriptors

    /// Registers a descriptor for the given epoll events. Loop thread only.
    public func register(_ fd: Int32, events: UInt32, handler: EventLoopSelectable) throws(SystemError) {
        assertInEventLoop()
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        guard epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0 else { throw SystemError("epoll_ctl(ADD)") }
        selectables[fd] = handler
    }

    /// Changes the epoll events of a registered descriptor. Loop thread only.
    public func modify(_ fd: Int32, events: UInt32) {
        assertInEventLoop()
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        _ = epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event)
    }

    /// Removes a descriptor; the caller closes it. Loop thread only.
    public func unregister(_ fd: Int32) {
        assertInEventLoop()
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
        selectables[fd] = nil
    }

    // MARK: Timers

    /// Runs `work` on the loop once `deadline` has passed. Loop thread only.
    @discardableResult
    public func scheduleTimer(at deadline: ContinuousClock.Instant, _ work: @escaping () -> Void) -> TimerID {
        assertInEventLoop()
        return timers.schedule(at: deadline, work)
    }

    /// Runs `work` on the loop after `delay`. Loop thread only.
    @discardableResult
    public func scheduleTimer(after delay: Duration, _ work: @escaping () -> Void) -> TimerID {
        scheduleTimer(at: .now + delay, work)
    }

    /// Cancels a timer that has not fired yet. Loop thread only.
    public func cancelTimer(_ id: TimerID) {
        assertInEventLoop()
        timers.cancel(id)
    }

    // MARK: Running

    /// Asks the loop to return from `run()` after its current iteration. Safe from any thread.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        wake()
    }

    /// Runs the loop on the calling thread until `stop()`.
    public func run() {
        threadID.store(UInt(pthread_self()), ordering: .releasing)
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: Self.maxEventsPerWait)
        defer { events.deallocate() }
        while !stopRequested.load(ordering: .acquiring) {
            let timeout = pollTimeoutMilliseconds()
            let count = epoll_wait(epollFD, events, Int32(Self.maxEventsPerWait), timeout)
            if count < 0 && errno != EINTR { fatalError("epoll_wait failed: errno \(errno)") }
            for i in 0..<max(0, Int(count)) {
                let event = events[i]
                let fd = event.data.fd
                if fd == wakeFD {
                    var value: UInt64 = 0
                    _ = Glibc.read(wakeFD, &value, 8)
                } else if let selectable = selectables[fd] {
                    selectable.handleEvents(event.events)
                }
                runLocalClosures()
            }
            // One timer at a time, outside the heap's access: a timer's work may schedule or cancel timers.
            let now = ContinuousClock.now
            while let expired = timers.popExpired(now: now) { expired() }
            runJobs()
            runEndOfTick()
        }
        finishQueuedWork()
    }

    /// Runs what was queued before the stop, then marks the loop stopped, in one step under the
    /// inbox lock so that no work is queued after the last drain and lost.
    private func finishQueuedWork() {
        while true {
            let drained = inbox.withLock { inbox -> ([@Sendable () -> Void], [UnownedJob])? in
                if inbox.closures.isEmpty && inbox.jobs.isEmpty {
                    inbox.isStopped = true
                    hasStopped.store(true, ordering: .releasing)
                    // From now on this thread is no longer the loop: what it queues runs in place.
                    threadID.store(0, ordering: .releasing)
                    return nil
                }
                defer {
                    inbox.closures = []
                    inbox.jobs = []
                }
                return (inbox.closures, inbox.jobs)
            }
            guard let (closures, jobs) = drained else { break }
            for closure in closures {
                closure()
                runLocalClosures()
            }
            localJobs.append(contentsOf: jobs)
            while !localJobs.isEmpty {
                let batch = localJobs
                localJobs.removeAll()
                for job in batch {
                    job.runSynchronously(on: asUnownedTaskExecutor())
                    runLocalClosures()
                }
            }
            runEndOfTick()
        }
        // Work a finished job left behind, now that late work runs in place.
        runLocalClosures()
        runEndOfTick()
    }

    private func pollTimeoutMilliseconds() -> Int32 {
        if !localJobs.isEmpty || !localClosures.isEmpty || !endOfTick.isEmpty { return 0 }
        if wakeRequested.load(ordering: .acquiring) { return 0 }
        guard let next = timers.nextDeadline else { return -1 }
        let remaining = next - .now
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        // Round up so the loop never wakes just before a timer and spins.
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }

    private func runLocalClosures() {
        while !localClosures.isEmpty {
            let closures = localClosures
            localClosures.removeAll(keepingCapacity: true)
            for closure in closures { closure() }
        }
    }

    private func runJobs() {
        // Producers append under the lock and then set the flag, so a clear flag means an empty
        // inbox: most iterations skip the lock.
        if wakeRequested.exchange(false, ordering: .acquiringAndReleasing) {
            let (closures, jobs) = inbox.withLock { inbox -> ([@Sendable () -> Void], [UnownedJob]) in
                defer {
                    inbox.closures = []
                    inbox.jobs = []
                }
                return (inbox.closures, inbox.jobs)
            }
            for closure in closures {
                closure()
                runLocalClosures()
            }
            localJobs.append(contentsOf: jobs)
        }
        var ran = 0
        while !localJobs.isEmpty && ran < Self.maxJobsPerTick {
            let batch = localJobs
            localJobs.removeAll(keepingCapacity: true)
            for job in batch {
                job.runSynchronously(on: asUnownedTaskExecutor())
                runLocalClosures()
            }
            ran += batch.count
        }
    }

    private func runEndOfTick() {
        while !endOfTick.isEmpty {
            let work = endOfTick
            endOfTick.removeAll(keepingCapacity: true)
            for item in work { item() }
            runLocalClosures()
        }
    }
}

/// Identifies a scheduled timer so it can be cancelled.
public struct TimerID: Hashable, Sendable {
    let value: UInt64
}

/// A min-heap of timers by deadline; cancelled timers are dropped lazily when they reach the top.
struct TimerHeap {
    private struct Entry {
        let deadline: ContinuousClock.Instant
        let id: UInt64
    }
    private var heap: [Entry] = []
    private var work: [UInt64: () -> Void] = [:]
    private var nextID: UInt64 = 0

    var nextDeadline: ContinuousClock.Instant? {
        mutating get {
            dropCancelledTop()
            return heap.first?.deadline
        }
    }

    mutating func schedule(at deadline: ContinuousClock.Instant, _ body: @escaping () -> Void) -> TimerID {
        nextID += 1
        work[nextID] = body
        heap.append(Entry(deadline: deadline, id: nextID))
        siftUp(heap.count - 1)
        return TimerID(value: nextID)
    }

    mutating func cancel(_ id: TimerID) {
        work[id.value] = nil
    }

    /// Removes and returns the work of the earliest timer due by `now`, or nil when none is due.
    mutating func popExpired(now: ContinuousClock.Instant) -> (() -> Void)? {
        while let top = heap.first, top.deadline <= now {
            popTop()
            if let body = work.removeValue(forKey: top.id) { return body }
        }
        return nil
    }

    private mutating func dropCancelledTop() {
        while let top = heap.first, work[top.id] == nil { popTop() }
    }

    private mutating func popTop() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        if !heap.isEmpty { siftDown(0) }
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count && heap[right].deadline < heap[smallest].deadline { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
