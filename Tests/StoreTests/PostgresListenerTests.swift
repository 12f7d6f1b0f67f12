import Foundation
import XCTest
@testable import Store

/// PostgreSQL notifications reaching a listener: from other sessions, at commit only, in order,
/// across the loss of its connection, until it is closed. Needs the server at
/// `MEDEXPRESS_TEST_POSTGRES_URL` (skipped without it, except under CI, where that fails).
/// Each test listens on a channel of its own.
final class PostgresListenerTests: XCTestCase {
    private struct RolledBack: Error {}

    private var serverURL = ""
    private var channel = ""
    /// A session of its own that sends notifications and looks at the server's sessions.
    private var sender: PostgresEngine!

    override func setUp() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let serverURL = environment["MEDEXPRESS_TEST_POSTGRES_URL"], !serverURL.isEmpty else {
            if environment["CI"] != nil {
                throw StoreError.invalidConfiguration("MEDEXPRESS_TEST_POSTGRES_URL is not set under CI")
            }
            throw XCTSkip("MEDEXPRESS_TEST_POSTGRES_URL is not set")
        }
        self.serverURL = serverURL
        channel = "listener_test_\(UInt64.random(in: 0...UInt64.max))"
        var options = PostgresEngine.Options()
        options.connectionCount = 1
        sender = try await PostgresEngine(url: serverURL, options: options)
    }

    override func tearDown() async throws {
        await sender?.close()
    }

    /// A listener on the test's channel, closed when the test ends, and its events so far.
    private func listening() async throws -> (PostgresListener, Collected<PostgresListener.Event>) {
        let listener = try PostgresListener(url: serverURL, channel: channel)
        addTeardownBlock { await listener.close() }
        let events = Collected(try listener.events())
        await eventually { events.elements.contains(.listening) }
        return (listener, events)
    }

    private func notify(_ payloads: String...) async throws {
        try await sender.write { [channel] transaction in
            for payload in payloads {
                try transaction.execute("SELECT pg_notify($1, $2)", [.text(channel), .text(payload)])
            }
        }
    }

    private func payloads(_ events: Collected<PostgresListener.Event>) -> [String] {
        events.elements.compactMap { event in
            if case let .notification(payload) = event { return payload }
            return nil
        }
    }

    /// The server process of the listener's session, found by its last statement.
    private func listenerBackend() async throws -> Int64? {
        try await sender.read { [channel] transaction in
            try transaction.query("SELECT pid FROM pg_stat_activity WHERE query = $1",
                                  [.text("LISTEN \"\(channel)\"")]).first?.int64("pid")
        }
    }

    func testNotificationFromAnotherSessionReachesEveryStream() async throws {
        let (listener, first) = try await listening()
        let second = Collected(try listener.events())
        await eventually { second.elements.contains(.listening) }
        try await notify("order 42 approved")
        await eventually { payloads(first) == ["order 42 approved"] && payloads(second) == ["order 42 approved"] }
        XCTAssertEqual(first.elements, [.listening, .notification(payload: "order 42 approved")])
    }

    func testNotificationInARolledBackTransactionNeverArrives() async throws {
        let (_, events) = try await listening()
        do {
            try await sender.write { [channel] transaction in
                try transaction.execute("SELECT pg_notify($1, $2)", [.text(channel), .text("rolled back")])
                throw RolledBack()
            }
            XCTFail("the write should have rolled back")
        } catch is RolledBack {}
        try await notify("committed")
        // Notifications from one session arrive in commit order: had the first been sent, it
        // would be here before the second.
        await eventually { payloads(events).contains("committed") }
        XCTAssertEqual(payloads(events), ["committed"])
    }

    func testSeveralNotificationsArriveInOrder() async throws {
        let (_, events) = try await listening()
        for number in 1...5 { try await notify("commit \(number)") }
        try await notify("batch a", "batch b", "batch c")
        let expected = (1...5).map { "commit \($0)" } + ["batch a", "batch b", "batch c"]
        await eventually { payloads(events).count == expected.count }
        XCTAssertEqual(payloads(events), expected)
    }

    func testStreamNotReadKeepsTheNewestEvents() async throws {
        let (listener, events) = try await listening()
        let unread = try listener.events()
        let count = PostgresListener.maxBufferedEvents + 50
        try await sender.write { [channel] transaction in
            for number in 0..<count {
                try transaction.execute("SELECT pg_notify($1, $2)", [.text(channel), .text("\(number)")])
            }
        }
        // The reading stream may drop some too, if its task falls behind; the last one it keeps.
        await eventually { payloads(events).last == "\(count - 1)" }
        var kept: [PostgresListener.Event] = []
        for await event in unread {
            kept.append(event)
            if kept.count == PostgresListener.maxBufferedEvents { break }
        }
        XCTAssertEqual(kept, (50..<count).map { .notification(payload: "\($0)") })
    }

    func testListenerReconnectsAfterItsSessionIsEnded() async throws {
        let (_, events) = try await listening()
        let backend = try await listenerBackend()
        let pid = try XCTUnwrap(backend)
        let ended = try await sender.read {
            try $0.query("SELECT pg_terminate_backend($1::int, 5000) AS done", [.integer(pid)])[0].bool("done")
        }
        XCTAssertTrue(ended)
        // The wake-up for whatever was missed while the session was down.
        await eventually { events.elements.filter { $0 == .listening }.count == 2 }
        let newBackend = try await listenerBackend()
        XCTAssertNotEqual(newBackend, pid)
        try await notify("after reconnecting")
        await eventually { payloads(events) == ["after reconnecting"] }
    }

    func testCloseEndsTheStreamsAndTheSessionPromptly() async throws {
        let (listener, events) = try await listening()
        let backend = try await listenerBackend()
        XCTAssertNotNil(backend)
        let started = ContinuousClock.now
        await listener.close()
        XCTAssertLessThan(ContinuousClock.now - started, .milliseconds(500))
        XCTAssertTrue(events.ended.isSet, "close() ends the streams before it returns")
        let deadline = ContinuousClock.now + .seconds(10)
        while try await listenerBackend() != nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let remaining = try await listenerBackend()
        XCTAssertNil(remaining, "the listener's session has ended")
        let error = await storeError { try listener.events() }
        guard case .unavailable? = error else { return XCTFail("got \(String(describing: error))") }
    }

    func testInvalidChannelNameIsRefused() async throws {
        let invalid = ["", "Changes", "9lives", "order-events", "changes; DROP TABLE orders", "quote\"d", "ünïcode",
                       String(repeating: "a", count: PostgresListener.maxChannelBytes + 1)]
        for name in invalid {
            let error = await storeError { try PostgresListener(url: serverURL, channel: name) }
            guard case .invalidConfiguration? = error else { return XCTFail("'\(name)': got \(String(describing: error))") }
        }
        let longest = try PostgresListener(url: serverURL, channel: String(repeating: "a", count: PostgresListener.maxChannelBytes))
        await longest.close()
    }

    /// Two engines on one database stand for two server instances: a change one commits wakes
    /// the other's streams.
    func testAnnouncedChangeWakesAnotherInstance() async throws {
        var options = PostgresEngine.Options()
        options.changeChannel = channel
        let (first, second) = (try await PostgresEngine(url: serverURL, options: options),
                               try await PostgresEngine(url: serverURL, options: options))
        addTeardownBlock { await first.close(); await second.close() }
        let wakeUps = Collected(try second.changeWakeUps())
        await eventually { wakeUps.elements.count == 1 }
        try await first.write { try $0.announceChange() }
        await eventually { wakeUps.elements.count == 2 }
    }

    func testInvalidChangeChannelIsRefused() async throws {
        var options = PostgresEngine.Options()
        options.changeChannel = "Medexpress-Changes"
        let error = await storeError { try await PostgresEngine(url: serverURL, options: options) }
        guard case .invalidConfiguration? = error else { return XCTFail("got \(String(describing: error))") }
    }
}
