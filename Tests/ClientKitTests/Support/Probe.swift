import Synchronization

/// What the test service saw, for the tests to assert on: named counters and recorded values.
final class Probe: Sendable {
    private struct State {
        var counters: [String: Int] = [:]
        var values: [String: [String]] = [:]
    }
    private let state = Mutex(State())

    /// Adds one to a counter and returns its new value.
    @discardableResult
    func increment(_ name: String) -> Int {
        state.withLock { state in
            state.counters[name, default: 0] += 1
            return state.counters[name]!
        }
    }

    func count(_ name: String) -> Int {
        state.withLock { $0.counters[name, default: 0] }
    }

    func record(_ name: String, _ value: String) {
        state.withLock { $0.values[name, default: []].append(value) }
    }

    func values(_ name: String) -> [String] {
        state.withLock { $0.values[name, default: []] }
    }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func eventually(within timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}
