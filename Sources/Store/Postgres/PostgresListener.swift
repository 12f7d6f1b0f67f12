import Glibc
import Synchronization

/// Receives PostgreSQL notifications (`LISTEN`/`NOTIFY`) on one channel, from every session of
/// the database: one dedicated connection on a thread of its own, waiting in poll() on its
/// socket, never on an event loop or Swift's cooperative pool.
///
/// A notification sent inside a transaction is delivered when it commits, and never if it rolls
/// back. When the connection drops (PostgreSQL restarted, the session was ended) the listener
/// reconnects with growing pauses, and says `.listening` again: notifications sent meanwhile are
/// lost, so a reader should look at what changed whenever it sees `.listening`.
public final class PostgresListener: Sendable {
    /// What a listener's stream carries.
    public enum Event: Sendable, Hashable {
        /// LISTEN is in effect, first or again after a reconnection: whatever was notified
        /// before may have been missed, and everything notified from now on will arrive.
        case listening
        /// A notification, with the payload its sender gave (often empty).
        case notification(payload: String)
    }

    /// The longest channel name PostgreSQL keeps (NAMEDATALEN - 1).
    public static let maxChannelBytes = 63
    /// Events a stream keeps for a reader that has not taken them; past it, the oldest are
    /// dropped. Readers here want wake-ups, not a log: the newest one is all they need.
    public static let maxBufferedEvents = 256
    /// Streams one listener serves at once; past it, `events()` throws `.overloaded`.
    public static let maxStreamCount = 4096
    /// The first pause before reconnecting, doubled after each failure up to the longest.
    static let firstReconnectDelayMilliseconds = 100
    static let longestReconnectDelayMilliseconds = 5_000
    /// How often the waiting thread looks at whether it should stop, besides being woken for it.
    static let pollTimeoutMilliseconds: Int32 = 1_000
    /// TCP keepalives, so a server that vanished without closing the connection (a network
    /// partition, a powered-off host) is noticed in about a minute; unix sockets ignore them.
    static let keepalives: [(keyword: String, value: String)] = [
        ("keepalives", "1"), ("keepalives_idle", "30"), ("keepalives_interval", "10"), ("keepalives_count", "3"),
    ]

    /// The channel listened on.
    public let channel: String
    private let core: ListenerCore

    /// Starts listening on `channel` (lower-case letters, digits and underscores, not starting
    /// with a digit, at most `maxChannelBytes`) of the server `url` names. Returns at once: the
    /// connection is made on the listener's thread, and streams say `.listening` once LISTEN is
    /// in effect. Throws `.invalidConfiguration` for a bad channel name or URL.
    public init(url: String, channel: String, connectTimeoutSeconds: Int = 5) throws(StoreError) {
        try Self.validate(channel: channel)
        try PostgresConnection.validate(url: url)
        guard connectTimeoutSeconds >= 1 else {
            throw .invalidConfiguration("the listener's connectTimeoutSeconds must be ≥ 1, not \(connectTimeoutSeconds)")
        }
        self.channel = channel
        core = try ListenerCore(url: url, channel: channel, connectTimeoutSeconds: connectTimeoutSeconds)
        let core = core
        let started = startThread { core.run() }
        guard started == 0 else {
            core.threadNeverStarted()
            throw .unavailable("cannot start the PostgreSQL listener thread: \(String(cString: strerror(started)))")
        }
    }

    deinit {
        // Dropped without close(): the thread still closes its connection and ends.
        core.stop()
    }

    /// A new stream of this listener's events, starting with `.listening` if LISTEN is already
    /// in effect. It keeps the newest `maxBufferedEvents` unread events and ends when the
    /// listener closes. Throws `.overloaded` past `maxStreamCount` streams, `.unavailable` once
    /// closed.
    public func events() throws(StoreError) -> AsyncStream<Event> {
        try core.events.stream(bufferLimit: Self.maxBufferedEvents) { $0 }
    }

    /// A stream that yields after every event: once when LISTEN is in effect (and after each
    /// reconnection), then for each notification. Unread wake-ups coalesce into one.
    func wakeUps() throws(StoreError) -> AsyncStream<Void> {
        try core.events.stream(bufferLimit: 1) { _ in () }
    }

    /// Ends every stream at once, then waits until the thread has closed its connection and
    /// ended (at once unless it is connecting, which takes at most the connect timeout).
    public func close() async {
        core.stop()
        await core.waitUntilEnded()
    }

    /// Whether `channel` is a name LISTEN and pg_notify() read alike: an identifier needing no
    /// quotes and no case folding.
    static func validate(channel: String) throws(StoreError) {
        let bytes = Array(channel.utf8)
        let isLetter = { (byte: UInt8) in (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || byte == UInt8(ascii: "_") }
        let isDigit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        guard let first = bytes.first, isLetter(first), bytes.allSatisfy({ isLetter($0) || isDigit($0) }),
              bytes.count <= maxChannelBytes else {
            throw .invalidConfiguration("a PostgreSQL channel name is 1…\(maxChannelBytes) lower-case letters, digits and underscores, not starting with a digit: '\(channel.prefix(80))'")
        }
    }
}

/// What the listener's thread and its owner share: the settings, the streams, and the stop
/// signal (a flag, and a pipe whose read end the thread polls beside the connection's socket).
private final class ListenerCore: Sendable {
    private struct State {
        var isStopping = false
        var hasEnded = false
        var endWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let url: String
    let channel: String
    let connectTimeoutSeconds: Int
    let events: Broadcaster<PostgresListener.Event>
    private let stopReadDescriptor: Int32
    private let stopWriteDescriptor: Int32
    private let state = Mutex(State())

    init(url: String, channel: String, connectTimeoutSeconds: Int) throws(StoreError) {
        self.url = url
        self.channel = channel
        self.connectTimeoutSeconds = connectTimeoutSeconds
        events = Broadcaster(name: "the PostgreSQL listener on \(channel)", maxStreamCount: PostgresListener.maxStreamCount)
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else {
            throw .unavailable("cannot make the listener's stop pipe: \(String(cString: strerror(errno)))")
        }
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            // Writing the one stop byte must never block whoever calls stop().
            _ = fcntl(descriptor, F_SETFL, O_NONBLOCK)
        }
        stopReadDescriptor = descriptors[0]
        stopWriteDescriptor = descriptors[1]
    }

    deinit {
        Glibc.close(stopReadDescriptor)
        Glibc.close(stopWriteDescriptor)
    }

    private var isStopping: Bool { state.withLock { $0.isStopping } }

    /// Asks the thread to stop and ends every stream; the first call wakes the thread.
    func stop() {
        let first = state.withLock { state in
            defer { state.isStopping = true }
            return !state.isStopping
        }
        guard first else { return }
        events.finish()
        var byte: UInt8 = 1
        _ = write(stopWriteDescriptor, &byte, 1)
    }

    func waitUntilEnded() async {
        await withCheckedContinuation { continuation in
            let ended = state.withLock { state in
                if state.hasEnded { return true }
                state.endWaiters.append(continuation)
                return false
            }
            if ended { continuation.resume() }
        }
    }

    func threadNeverStarted() {
        stop()
        ended()
    }

    private func ended() {
        let waiters = state.withLock { state in
            state.hasEnded = true
            defer { state.endWaiters.removeAll() }
            return state.endWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    // MARK: - The listener's thread

    /// Connects, listens and delivers until stopped, reconnecting after failures with pauses
    /// that double from the first delay to the longest (each a random part of it, so instances
    /// that lost the same server do not return in step).
    func run() {
        var delayMilliseconds = PostgresListener.firstReconnectDelayMilliseconds
        while !isStopping {
            if let connection = listen() {
                delayMilliseconds = PostgresListener.firstReconnectDelayMilliseconds
                events.setGreeting(.listening)
                events.send(.listening)
                deliver(from: connection)
                events.setGreeting(nil)
                // The connection closes here, on its own thread, before any reconnection.
                continue
            }
            let pause = Int32.random(in: Int32(delayMilliseconds / 2)...Int32(delayMilliseconds))
            sleepUnlessStopped(milliseconds: pause)
            delayMilliseconds = min(delayMilliseconds * 2, PostgresListener.longestReconnectDelayMilliseconds)
        }
        ended()
    }

    /// A new connection with LISTEN in effect, or nil when connecting or LISTEN failed.
    private func listen() -> PostgresConnection? {
        do {
            let connection = try PostgresConnection(url: url, connectTimeoutSeconds: connectTimeoutSeconds,
                                                    maxRowsPerQuery: 1, defaults: PostgresListener.keepalives)
            // The name was validated: a plain identifier, quoted so no keyword can clash.
            try connection.runScript("LISTEN \"\(channel)\"")
            return connection
        } catch {
            return nil
        }
    }

    /// Delivers notifications until the connection is lost or the listener stops.
    private func deliver(from connection: PostgresConnection) {
        while !isStopping {
            // Notifications that arrived during an earlier statement sit in libpq's buffer, not
            // the socket, so they are taken before waiting (the first time, those during LISTEN).
            do {
                for notification in try connection.receiveNotifications() where notification.channel == channel {
                    events.send(.notification(payload: notification.payload))
                }
            } catch {
                return
            }
            var descriptors = [
                pollfd(fd: connection.socketDescriptor, events: Int16(POLLIN), revents: 0),
                pollfd(fd: stopReadDescriptor, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&descriptors, 2, PostgresListener.pollTimeoutMilliseconds)
            if ready < 0 && errno != EINTR { return }
        }
    }

    /// Sleeps `milliseconds`, or less if the listener is stopped meanwhile.
    private func sleepUnlessStopped(milliseconds: Int32) {
        var descriptor = pollfd(fd: stopReadDescriptor, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, milliseconds)
    }
}
