import Generated
import RPCCore
import Synchronization
import XCTest

/// One side of a live support chat in a test: the messages it has received, as they arrive, and
/// how the call ended.
final class TestChat: Sendable {
    private final class Received: Sendable {
        let messages = Mutex<[Medexpress_V1_ChatMessage]>([])
        let end = Mutex<Status?>(nil)
    }

    private let call: BidirectionalStreamingCall<Medexpress_V1_ChatMessage, Medexpress_V1_ChatMessage>
    private let received = Received()

    /// Opens a chat on `ticket`, resuming after `sequence`.
    convenience init(_ client: Medexpress_V1_SupportServiceClient, metadata: Metadata = [:], ticket: String, after sequence: Int64 = 0)
        async throws {
        try await self.init(client, metadata: metadata, first: .with {
            $0.ticketId = ticket
            $0.sequence = sequence
        })
    }

    /// Opens a chat whose first message is `first` (a customer's text with no ticket opens one).
    init(_ client: Medexpress_V1_SupportServiceClient, metadata: Metadata = [:], first: Medexpress_V1_ChatMessage) async throws {
        call = try await client.chat(metadata: metadata)
        let call = call
        let received = received
        Task {
            do {
                for try await message in call { received.messages.withLock { $0.append(message) } }
                received.end.withLock { $0 = .ok }
            } catch let status as Status {
                received.end.withLock { $0 = status }
            } catch {
                received.end.withLock { $0 = Status(.unknown, "\(error)") }
            }
        }
        try await call.send(first)
    }

    /// Sends a raw message (the tests of bad input).
    func send(_ message: Medexpress_V1_ChatMessage) async throws { try await call.send(message) }

    func say(_ text: String) async throws { try await call.send(.with { $0.text = text }) }

    /// Everything received so far.
    var messages: [Medexpress_V1_ChatMessage] { received.messages.withLock { $0 } }

    /// The messages received, once there are at least `count` (a test failure after `timeout`).
    func messages(count: Int, timeout: Duration = .seconds(10), file: StaticString = #filePath, line: UInt = #line) async throws
        -> [Medexpress_V1_ChatMessage] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while messages.count < count && clock.now < deadline && received.end.withLock({ $0 }) == nil {
            try await Task.sleep(for: .milliseconds(10))
        }
        let seen = messages
        if seen.count < count {
            XCTFail("expected \(count) chat messages, got \(seen.count): \(seen.map(\.text)); ended: \(String(describing: received.end.withLock { $0 }))",
                    file: file, line: line)
        }
        return seen
    }

    /// How the call ended, once it has (nil after `timeout`).
    func end(timeout: Duration = .seconds(10)) async throws -> Status? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while received.end.withLock({ $0 }) == nil && clock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        return received.end.withLock { $0 }
    }

    /// Half-closes and waits for the server to finish sending: how the call ended.
    func finish(timeout: Duration = .seconds(10)) async throws -> Status? {
        try await call.closeSend()
        return try await end(timeout: timeout)
    }
}
