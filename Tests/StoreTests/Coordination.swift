import Dispatch
@testable import Store
import Synchronization
import XCTest

/// A one-shot event: set from any thread (a transaction body on an engine thread), awaited by
/// the test without blocking a thread.
final class Event: Sendable {
    private let state = Mutex<(isSet: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func set() {
        let waiters = state.withLock { state in
            state.isSet = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    var isSet: Bool { state.withLock { $0.isSet } }

    /// Waits until set, failing the test after `seconds`.
    func wait(seconds: Double = 10, file: StaticString = #filePath, line: UInt = #line) async {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !isSet {
            guard ContinuousClock.now < deadline else {
                XCTFail("event not set within \(seconds) s", file: file, line: line)
                return
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// A barrier a transaction body blocks on (on its engine thread) until the test opens it.
final class Gate: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)

    func open(count: Int = 1) {
        for _ in 0..<count { semaphore.signal() }
    }

    /// Blocks the calling engine thread until opened; gives up after 10 s so a broken test
    /// cannot hang the suite.
    func pass() {
        _ = semaphore.wait(timeout: .now() + 10)
    }
}

/// Polls `condition` until it holds, failing the test after `seconds`.
func eventually(seconds: Double = 10, file: StaticString = #filePath, line: UInt = #line,
                _ condition: () -> Bool) async {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while !condition() {
        guard ContinuousClock.now < deadline else {
            XCTFail("condition not met within \(seconds) s", file: file, line: line)
            return
        }
        try? await Task.sleep(for: .milliseconds(5))
    }
}

/// Runs `operation` and returns the `StoreError` it threw, failing the test if it threw another
/// error or none.
func storeError<T>(file: StaticString = #filePath, line: UInt = #line,
                   _ operation: () async throws -> T) async -> StoreError? {
    do {
        _ = try await operation()
        XCTFail("expected a StoreError, but the operation succeeded", file: file, line: line)
    } catch let error as StoreError {
        return error
    } catch {
        XCTFail("expected a StoreError, got \(type(of: error)): \(error)", file: file, line: line)
    }
    return nil
}

/// A value shared between a test and the engine threads running its transaction bodies.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func update<Result: Sendable>(_ body: (inout Value) -> Result) -> Result { mutex.withLock { body(&$0) } }

    var value: Value { mutex.withLock { $0 } }
}

/// What a stream has yielded so far, read on a task of its own so the test can look at it.
final class Collected<Element: Sendable>: Sendable {
    private let shared = Shared<[Element]>([])
    /// Set when the stream has ended.
    let ended = Event()

    init(_ stream: AsyncStream<Element>) {
        Task { [shared, ended] in
            for await element in stream { shared.update { $0.append(element) } }
            ended.set()
        }
    }

    var elements: [Element] { shared.value }
}
