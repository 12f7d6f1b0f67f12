import RPCCore
import Synchronization

/// A unary call: the request is kept, so the call can be attempted again — once after the
/// credentials were refreshed (UNAUTHENTICATED), and per the retry policy for retryable statuses
/// of idempotent methods — before the caller sees the outcome. Each attempt is a `ClientStream`.
final class UnaryCall: ResponseMessageReceiving, Sendable {
    /// What the caller sees: the last attempt's response, read to its end.
    private struct Outcome: Sendable {
        /// The response headers' metadata, or the status of a Trailers-Only response.
        var initialMetadata: Result<Metadata, Status>
        var message: ReceivedMessage?
        var status: Status

        static func failed(_ status: Status) -> Outcome {
            Outcome(initialMetadata: .failure(status), message: nil, status: status)
        }
    }

    private struct State {
        var requests: [(bytes: [UInt8], compressed: Bool)] = []
        var requestBytes = 0
        var sendClosed = false
        var driver: Task<Void, Never>?
        var attempt: ClientStream?
        var outcome: Outcome?
        var waiters: [CheckedContinuation<Outcome, Never>] = []
        var cancelled = false
        var messageTaken = false
    }

    private let channel: GRPCChannel
    private let method: MethodDescriptor
    private let metadata: Metadata
    private let options: CallOptions
    private let deadline: ContinuousClock.Instant?
    private let observer: CallObserver
    private let state = Mutex(State())

    init(channel: GRPCChannel, method: MethodDescriptor, metadata: Metadata, options: CallOptions,
         deadline: ContinuousClock.Instant?, observer: CallObserver) {
        self.channel = channel
        self.method = method
        self.metadata = metadata
        self.options = options
        self.deadline = deadline
        self.observer = observer
    }

    // MARK: ClientCallStream

    func send(_ message: [UInt8], compressed: Bool) async throws {
        let limit = channel.configuration.maxSendMessageBytes
        let refusal = state.withLock { state -> Status? in
            if let outcome = state.outcome { return outcome.status.code == .ok ? nil : outcome.status }
            guard !state.sendClosed else {
                return Status(.failedPrecondition, "send after closeSend: the request stream is already closed")
            }
            guard message.count <= limit, state.requestBytes + message.count <= limit else {
                return Status(.resourceExhausted, "the request of \(state.requestBytes + message.count) bytes exceeds the limit of \(limit) bytes")
            }
            state.requests.append((message, compressed))
            state.requestBytes += message.count
            return nil
        }
        guard let refusal else { return }
        if refusal.code == .resourceExhausted {
            // The caller will not finish a call whose request failed: end it here.
            await end(with: refusal)
        }
        throw refusal
    }

    /// Ends the call with `status` unless it already ended.
    private func end(with status: Status) async {
        guard state.withLock({ $0.outcome == nil }) else { return }
        await observer.report(status)
        publish(.failed(status))
    }

    func closeSend() async throws {
        state.withLock { state in
            guard !state.sendClosed, !state.cancelled else { return }
            state.sendClosed = true
            // On the channel's loop: the attempt's steps then need no thread hops.
            state.driver = Task(executorPreference: channel.loop) { await self.drive() }
        }
    }

    func initialMetadata() async throws -> Metadata {
        let outcome = await awaitOutcome()
        switch outcome.initialMetadata {
        case .success(let metadata):
            return metadata
        case .failure(let status):
            if status.code == .ok { return Metadata() }
            throw status
        }
    }

    func receive() async throws -> [UInt8]? {
        try await receiveMessage()?.bytes
    }

    func receiveMessage() async throws -> ReceivedMessage? {
        let outcome = await awaitOutcome()
        let message = state.withLock { state -> ReceivedMessage? in
            guard !state.messageTaken else { return nil }
            state.messageTaken = true
            return outcome.message
        }
        if let message { return message }
        if outcome.status.code != .ok { throw outcome.status }
        return nil
    }

    func status() async -> Status {
        await awaitOutcome().status
    }

    func cancel() {
        let (attempt, driver) = state.withLock { state -> (ClientStream?, Task<Void, Never>?) in
            state.cancelled = true
            return (state.attempt, state.driver)
        }
        attempt?.cancel()
        driver?.cancel()
        if publish(.failed(Status(.cancelled, "the call was cancelled by the client"))) {
            let observer = self.observer
            let status = Status(.cancelled, "the call was cancelled by the client")
            Task { await observer.report(status) }
        }
    }

    // MARK: Attempts

    private func awaitOutcome() async -> Outcome {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
                let ready = state.withLock { state -> Outcome? in
                    if let outcome = state.outcome { return outcome }
                    state.waiters.append(continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            cancel()
        }
    }

    /// Makes the outcome visible once; false if there already was one.
    @discardableResult
    private func publish(_ outcome: Outcome) -> Bool {
        let waiters = state.withLock { state -> [CheckedContinuation<Outcome, Never>]? in
            guard state.outcome == nil else { return nil }
            state.outcome = outcome
            state.attempt = nil
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        guard let waiters else { return false }
        for waiter in waiters { waiter.resume(returning: outcome) }
        channel.callEnded()
        return true
    }

    private func drive() async {
        var (outcome, credentialsSent) = await attempt()
        var attempts = 1
        var refreshed = false
        while !Task.isCancelled {
            // Credentials that added nothing to the call (a sign-in call, say) cannot be what the
            // server refused: refreshing them would not change the next attempt.
            if outcome.status.code == .unauthenticated, !refreshed, !credentialsSent.isEmpty,
               let credentials = channel.configuration.credentials {
                refreshed = true
                do {
                    try await credentials.refresh(rejected: credentialsSent)
                } catch {
                    var status = outcome.status
                    status.message += " (refreshing the credentials failed: \(error))"
                    outcome = .failed(status)
                    break
                }
                (outcome, credentialsSent) = await attempt()
                continue
            }
            guard let delay = retryDelay(after: outcome.status, attempts: attempts) else { break }
            do {
                try await Task.sleep(for: delay)
            } catch {
                break
            }
            attempts += 1
            (outcome, credentialsSent) = await attempt()
        }
        if state.withLock({ $0.outcome != nil }) { return }
        await observer.report(outcome.status)
        publish(outcome)
    }

    /// The wait before another attempt, or nil when the call must not be tried again.
    private func retryDelay(after status: Status, attempts: Int) -> Duration? {
        let policy = channel.configuration.retryPolicy
        guard policy.retryableStatusCodes.contains(status.code), options.retryable ?? method.isIdempotent,
              attempts < min(policy.maxAttempts, RetryPolicy.attemptLimit) else { return nil }
        let delay: Duration
        // gRPC's retry design (A6): a server may ask for a delay, or (negative) for no retry.
        if let pushback = status.metadata["grpc-retry-pushback-ms"] {
            guard let milliseconds = Int(pushback), milliseconds >= 0 else { return nil }
            delay = .milliseconds(milliseconds)
        } else {
            delay = policy.backoff(beforeRetry: attempts)
        }
        if let deadline, ContinuousClock.now + delay >= deadline { return nil }
        return delay
    }

    /// One attempt, read to its end, and the metadata the credentials added to it.
    private func attempt() async -> (Outcome, credentials: Metadata) {
        let attemptMetadata: (merged: Metadata, added: Metadata)
        do {
            attemptMetadata = try await channel.withCredentials(metadata, for: method)
        } catch {
            return (.failed(error), Metadata())
        }
        let stream: ClientStream
        do {
            stream = try channel.startStream(method, metadata: attemptMetadata.merged, options: options,
                                             deadline: deadline, observer: nil, countsAsCall: false)
        } catch {
            return (.failed(error), attemptMetadata.added)
        }
        let (requests, cancelled) = state.withLock { state in
            state.attempt = stream
            return (state.requests, state.cancelled)
        }
        if cancelled { stream.cancel() }
        for request in requests {
            do {
                try await stream.send(request.bytes, compressed: request.compressed)
            } catch {
                break
            }
        }
        try? await stream.closeSend()
        let initialMetadata: Result<Metadata, Status>
        do {
            initialMetadata = .success(try await stream.initialMetadata())
        } catch {
            initialMetadata = .failure(error as? Status ?? Status(.unknown, "\(error)"))
        }
        var message: ReceivedMessage?
        if case .success = initialMetadata {
            message = try? await stream.receiveMessage()
        }
        let status = await stream.status()
        return (Outcome(initialMetadata: initialMetadata, message: message, status: status), attemptMetadata.added)
    }
}
