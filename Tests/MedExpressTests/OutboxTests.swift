import Domain
import Gateways
import MedExpress
import Store
import Synchronization
import Trust
import XCTest

/// The outbox: what a committed change queues is delivered at least once, retried while the
/// other side is down, and nothing is sent for a change that rolled back.
final class OutboxTests: XCTestCase {
    /// A mail server that is down for the first `failures` attempts.
    final class FlakyMail: EmailSender {
        let failures: Int
        private let attempts = Mutex(0)
        private let delivered = Mutex<[EmailMessage]>([])
        init(failures: Int) { self.failures = failures }
        var sent: [EmailMessage] { delivered.withLock { $0 } }
        func send(_ message: EmailMessage) async throws(EmailError) {
            let attempt = attempts.withLock { value in
                value += 1
                return value
            }
            if attempt <= failures { throw .unavailable("421 try again later") }
            delivered.withLock { $0.append(message) }
        }
    }

    private static func message(_ id: String) -> EmailMessage {
        EmailMessage(messageID: id, from: EmailAddress("orders@medexpress.example"), to: EmailAddress("ada@example.org"),
                     subject: "Your order", body: "Hello\n")
    }

    func testAQueuedEmailIsRetriedUntilTheMailServerTakesItAndSentOnce() async throws {
        try await TestDatabases.each { store, name in
            let vault = try await Vault.open(master: TestDeployment.master, store: store)
            let clock = TestClock()
            let mail = FlakyMail(failures: 2)
            let outbox = Outbox(store: store, cipher: vault.cipher, payments: LocalPaymentGateway(), email: mail, clock: { clock.now() },
                                log: .init(component: "outbox", minimumLevel: .error))
            let now = clock.now()
            try await store.write { tx in try outbox.enqueue(.email(subject: "ord_test", Self.message("m1@test")), now: now, in: tx) }
            var delivered = try await outbox.dispatchDue()
            XCTAssertEqual(delivered, 0, "\(name): the server is down")
            delivered = try await outbox.dispatchDue()
            XCTAssertEqual(delivered, 0, "\(name): not due again before its backoff")
            clock.advance(days: 1)
            delivered = try await outbox.dispatchDue()
            XCTAssertEqual(delivered, 0, "\(name): down a second time")
            clock.advance(days: 1)
            delivered = try await outbox.dispatchDue()
            XCTAssertEqual(delivered, 1, name)
            clock.advance(days: 1)
            delivered = try await outbox.dispatchDue()
            XCTAssertEqual(delivered, 0, "\(name): done once")
            XCTAssertEqual(mail.sent.map(\.messageID), ["m1@test"], name)
            // The payload was sealed at rest.
            let stored = try await store.read { tx in try tx.query("SELECT payload, attempts FROM outbox").first }
            XCTAssertNil(String(decoding: try stored?.bytes("payload") ?? [], as: UTF8.self).range(of: "ada@example.org"), name)
            XCTAssertEqual(try stored?.int64("attempts"), 3, name)
        }
    }

    func testNothingIsSentForAChangeThatRolledBack() async throws {
        try await TestDatabases.each { store, name in
            let vault = try await Vault.open(master: TestDeployment.master, store: store)
            let mail = FlakyMail(failures: 0)
            let outbox = Outbox(store: store, cipher: vault.cipher, payments: LocalPaymentGateway(), email: mail,
                                log: .init(component: "outbox", minimumLevel: .error))
            struct Refused: Error {}
            do {
                try await store.write { tx in
                    try outbox.enqueue(.email(subject: "ord_test", Self.message("m2@test")), now: WallClock.nowMicroseconds(), in: tx)
                    throw Refused()
                }
                XCTFail("\(name): the write should have failed")
            } catch is Refused {}
            let delivered = try await outbox.dispatchDue()
            XCTAssertEqual(delivered, 0, name)
            XCTAssertTrue(mail.sent.isEmpty, name)
        }
    }
}
