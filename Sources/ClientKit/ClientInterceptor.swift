import RPCCore
import Synchronization

/// Sees every call a channel makes. Interceptors form an ordered chain:
///
/// 1. Before the call starts, `intercept` runs for each interceptor in the order of
///    `ChannelConfiguration.interceptors`. It may add or change metadata and options (a later
///    interceptor sees the changes of an earlier one), or reject the call by throwing a `Status`:
///    the call then never reaches the network and fails with that status.
/// 2. When the call has ended, `callFinished` runs for each interceptor whose `intercept`
///    completed, in reverse order, with the call's final status. For unary calls this happens
///    before the caller gets the result (after any retries); for streaming calls it happens once
///    the status is known.
///
/// The chain is two hooks rather than one `intercept(…, next:)` closure because a continuation
/// cannot run while the `inout` metadata and options it would need are still being edited.
public protocol ClientInterceptor: Sendable {
    /// Runs before the call starts; edits `metadata` and `options` in place or throws to reject.
    func intercept(method: MethodDescriptor, metadata: inout Metadata, options: inout CallOptions) async throws
    /// Runs once with the call's final status and the time since the call was made.
    func callFinished(method: MethodDescriptor, status: Status, elapsed: Duration) async
}

extension ClientInterceptor {
    public func callFinished(method: MethodDescriptor, status: Status, elapsed: Duration) async {}
}

/// Reports a call's final status to the interceptors that let it start, once.
final class CallObserver: Sendable {
    private let method: MethodDescriptor
    private let interceptors: [any ClientInterceptor]
    private let start: ContinuousClock.Instant
    private let reported = Atomic<Bool>(false)

    init(method: MethodDescriptor, interceptors: [any ClientInterceptor], start: ContinuousClock.Instant) {
        self.method = method
        self.interceptors = interceptors
        self.start = start
    }

    /// Whether anybody is listening.
    var isEmpty: Bool { interceptors.isEmpty }

    /// Tells the interceptors, last first; only the first report counts.
    func report(_ status: Status) async {
        guard !interceptors.isEmpty, !reported.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let elapsed = ContinuousClock.now - start
        for interceptor in interceptors.reversed() {
            await interceptor.callFinished(method: method, status: status, elapsed: elapsed)
        }
    }
}
