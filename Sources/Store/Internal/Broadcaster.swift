import Synchronization

/// Hands each event to every open stream, from any thread, without waiting for their readers.
/// Each stream keeps at most its own small buffer of the newest elements: the streams here
/// carry wake-ups, where a reader that falls behind loses nothing by skipping to the latest.
/// The number of streams is bounded too; past it, a new one is refused.
final class Broadcaster<Event: Sendable>: Sendable {
    private struct Subscriber {
        let deliver: @Sendable (Event) -> Void
        let finish: @Sendable () -> Void
    }

    private struct State {
        var subscribers: [UInt64: Subscriber] = [:]
        var nextID: UInt64 = 0
        /// Given to every new stream first (a listener's "now listening"), while set.
        var greeting: Event?
        var isFinished = false
    }

    /// The most streams open at once.
    let maxStreamCount: Int
    /// What names the source in errors ("the PostgreSQL listener on medexpress_changes").
    private let name: String
    private let state = Mutex(State())

    init(name: String, maxStreamCount: Int) {
        precondition(maxStreamCount >= 1)
        self.name = name
        self.maxStreamCount = maxStreamCount
    }

    /// A new stream of the events from now on, each turned into an element by `transform`
    /// (nil skips it), keeping at most `bufferLimit` unread elements (the newest). It starts
    /// with the greeting when one is set, and ends when the broadcaster finishes or the reader
    /// drops it.
    func stream<Element: Sendable>(bufferLimit: Int,
                                   _ transform: @escaping @Sendable (Event) -> Element?) throws(StoreError) -> AsyncStream<Element> {
        precondition(bufferLimit >= 1)
        let (stream, continuation) = AsyncStream<Element>.makeStream(bufferingPolicy: .bufferingNewest(bufferLimit))
        let subscriber = Subscriber(deliver: { event in
            if let element = transform(event) { continuation.yield(element) }
        }, finish: { continuation.finish() })
        let id: UInt64 = try state.withLock { (state) throws(StoreError) in
            guard !state.isFinished else { throw .unavailable("\(name) is closed") }
            guard state.subscribers.count < maxStreamCount else {
                throw .overloaded("\(name) already has \(maxStreamCount) streams open")
            }
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = subscriber
            // Under the lock, so a greeting cleared meanwhile is not given.
            if let greeting = state.greeting { subscriber.deliver(greeting) }
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Gives `event` to every open stream.
    func send(_ event: Event) {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers { subscriber.deliver(event) }
    }

    /// Sets (or, with nil, clears) the event every new stream starts with.
    func setGreeting(_ greeting: Event?) {
        state.withLock { $0.greeting = greeting }
    }

    /// Ends every stream and refuses new ones.
    func finish() {
        let subscribers = state.withLock { state in
            state.isFinished = true
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }
}
