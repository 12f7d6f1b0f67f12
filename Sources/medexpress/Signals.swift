import CLinux
import Glibc

/// Turns SIGTERM and SIGINT into an awaitable event. `blockTerminationSignals()` must run first,
/// before any thread starts, so that every thread inherits the mask and only the waiting thread
/// receives the signals.
enum Signals {
    private static func terminationSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        return set
    }

    /// Blocks SIGTERM and SIGINT in the calling thread (and the threads it starts later).
    static func blockTerminationSignals() {
        var set = terminationSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Waits on a dedicated thread until SIGTERM or SIGINT arrives; returns the signal's name.
    static func waitForTermination() async -> String {
        await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            final class Box: @unchecked Sendable {
                let continuation: CheckedContinuation<String, Never>
                init(_ continuation: CheckedContinuation<String, Never>) { self.continuation = continuation }
            }
            let box = Unmanaged.passRetained(Box(continuation)).toOpaque()
            var thread = pthread_t()
            pthread_create(&thread, nil, { context in
                let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
                var set = sigset_t()
                sigemptyset(&set)
                sigaddset(&set, SIGTERM)
                sigaddset(&set, SIGINT)
                var received: Int32 = 0
                while sigwait(&set, &received) != 0 {}
                box.continuation.resume(returning: received == SIGTERM ? "SIGTERM" : "SIGINT")
                return nil
            }, box)
            pthread_detach(thread)
        }
    }
}

/// Writes a line to standard output and flushes it (tests wait for readiness lines).
func printLine(_ text: String) {
    print(text)
    fflush(medexpress_stdout())
}

/// Writes a line to standard error.
func printError(_ text: String) {
    fputs(text + "\n", medexpress_stderr())
}
