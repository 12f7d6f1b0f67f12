import CLinux
import Glibc
import Synchronization

/// A fixed set of event loops, one thread each (one per core by default).
public final class EventLoopGroup: Sendable {
    /// The loops, in index order.
    public let loops: [EventLoop]
    private let next = Atomic<Int>(0)
    private let threads: Mutex<[pthread_t]>

    /// Starts `count` loops. With `pinToCPUs`, loop i is pinned to CPU `pinToCPUs[i % count]`.
    public init(count: Int, pinToCPUs: [Int] = []) {
        precondition(count >= 1, "an event loop group needs at least one loop")
        let loops = (0..<count).map { EventLoop(index: $0) }
        self.loops = loops
        var threads: [pthread_t] = []
        for loop in loops {
            let cpu = pinToCPUs.isEmpty ? nil : pinToCPUs[loop.index % pinToCPUs.count]
            threads.append(Self.startThread(name: "loop-\(loop.index)") {
                if let cpu { _ = medexpress_pin_thread_to_cpu(Int32(cpu)) }
                loop.run()
            })
        }
        self.threads = Mutex(threads)
    }

    /// The next loop in round-robin order.
    public func nextLoop() -> EventLoop {
        loops[next.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }

    /// Stops every loop and waits for their threads to end.
    public func shutdown() {
        for loop in loops { loop.stop() }
        let threads = self.threads.withLock { threads in
            defer { threads.removeAll() }
            return threads
        }
        for thread in threads { pthread_join(thread, nil) }
    }

    private final class ThreadBody {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    private static func startThread(name: String, _ body: @escaping () -> Void) -> pthread_t {
        let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { context in
            let body = Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue()
            body.body()
            return nil
        }, context)
        precondition(result == 0, "pthread_create failed: \(result)")
        _ = name.withCString { pthread_setname_np(thread, $0) }
        return thread
    }
}

/// A failed system call with its errno.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    /// The call that failed.
    public let call: String
    /// The errno value.
    public let errnoValue: Int32

    public init(_ call: String, errno errnoValue: Int32 = errno) {
        self.call = call
        self.errnoValue = errnoValue
    }

    public var description: String { "\(call): \(String(cString: strerror(errnoValue)))" }
}
