import Foundation
import Synchronization
import XCTest
@testable import Store

/// The store suite on PostgreSQL (the server at `MEDEXPRESS_TEST_POSTGRES_URL`; skipped when it
/// is unset), each test in a schema of its own made for it and dropped after it, plus what only
/// PostgreSQL has: retried serialization failures, reconnection, an unreachable server.
final class PostgresStoreTests: StoreEngineTests {
    private static let urlVariable = "MEDEXPRESS_TEST_POSTGRES_URL"
    private var serverURL = ""
    private var schema = ""

    /// The test's URL: the server's, with the test's schema first on the search path.
    private var url: String {
        serverURL + (serverURL.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)"
    }

    override func setUp() async throws {
        guard let serverURL = ProcessInfo.processInfo.environment[Self.urlVariable], !serverURL.isEmpty else {
            throw XCTSkip("\(Self.urlVariable) is not set")
        }
        self.serverURL = serverURL
        if let parent = Self.childDatabase {
            schema = parent
            return
        }
        schema = "store_test_\(UInt64.random(in: 0...UInt64.max))"
        try await administer("CREATE SCHEMA \(schema)")
    }

    override func tearDown() async throws {
        try await super.tearDown()
        if !schema.isEmpty, Self.childDatabase == nil { try await administer("DROP SCHEMA \(schema) CASCADE") }
    }

    override var databaseName: String { schema }

    private func administer(_ sql: String) async throws {
        var options = PostgresEngine.Options()
        options.connectionCount = 1
        let admin = try await PostgresEngine(url: serverURL, options: options)
        try await admin.write { try $0.executeScript(sql) }
        await admin.close()
    }

    override func makeEngine(_ shape: EngineShape) async throws -> any StoreEngine {
        var options = PostgresEngine.Options()
        options.connectionCount = shape.workers
        options.queueCapacity = shape.queueCapacity
        // Notifications are per database: the test's own channel keeps other tests' out.
        options.changeChannel = schema
        return try await PostgresEngine(url: url, options: options)
    }

    override func waitingWrites(_ engine: any StoreEngine) -> Int {
        (engine as! PostgresEngine).waitingTransactions
    }

    private func postgres(maxAttempts: Int) async throws -> PostgresEngine {
        var options = PostgresEngine.Options()
        options.maxTransactionAttempts = maxAttempts
        let engine = try await PostgresEngine(url: url, options: options)
        addTeardownBlock { await engine.close() }
        return engine
    }

    /// Two SERIALIZABLE transactions read the counter, then both write it: the second to write
    /// fails with serialization_failure on its first attempt. Returns the second's outcome and
    /// how many times its body ran.
    private func collide(maxAttempts: Int) async throws -> (outcome: Result<Void, any Error>, attempts: Int) {
        let engine = try await postgres(maxAttempts: maxAttempts)
        try await engine.write { transaction in
            try transaction.execute("CREATE TABLE counters (id BIGINT PRIMARY KEY, value BIGINT NOT NULL)")
            try transaction.execute("INSERT INTO counters VALUES (1, 0)")
        }
        let firstRead = Event(), secondRead = Event()
        let firstWrites = Gate(), secondWrites = Gate()
        let attempts = Atomic<Int>(0)
        let increment = "UPDATE counters SET value = $1 WHERE id = 1"
        let first = Task {
            try await engine.write(isolation: .serializable) { transaction in
                let value = try transaction.query("SELECT value FROM counters WHERE id = 1")[0].int64("value")
                firstRead.set()
                firstWrites.pass()
                try transaction.execute(increment, [.integer(value + 1)])
            }
        }
        await firstRead.wait()
        let second = Task {
            try await engine.write(isolation: .serializable) { transaction in
                let attempt = attempts.add(1, ordering: .relaxed).newValue
                let value = try transaction.query("SELECT value FROM counters WHERE id = 1")[0].int64("value")
                if attempt == 1 {
                    secondRead.set()
                    secondWrites.pass()
                }
                try transaction.execute(increment, [.integer(value + 1)])
            }
        }
        await secondRead.wait()
        firstWrites.open()
        try await first.value
        secondWrites.open()
        let outcome = await second.result
        return (outcome, attempts.load(ordering: .relaxed))
    }

    func testSerializationFailureIsRetriedWithTheWholeBody() async throws {
        let (outcome, attempts) = try await collide(maxAttempts: 3)
        try outcome.get()
        XCTAssertEqual(attempts, 2, "the losing transaction ran again")
        let engine = try await engine()
        let value = try await engine.read { try $0.query("SELECT value FROM counters")[0].int64("value") }
        XCTAssertEqual(value, 2, "both increments count")
    }

    func testConflictIsReportedAfterTheLastAttempt() async throws {
        let (outcome, attempts) = try await collide(maxAttempts: 1)
        XCTAssertEqual(attempts, 1)
        guard case let .failure(StoreError.conflict(count, message)) = outcome else {
            return XCTFail("expected a conflict, got \(outcome)")
        }
        XCTAssertEqual(count, 1)
        XCTAssertTrue(message.contains("40001"), message)
    }

    func testConnectionEndedByTheServerIsReconnected() async throws {
        let engine = try await engine(EngineShape(workers: 1))
        let pid = try await engine.read { try $0.query("SELECT pg_backend_pid() AS pid")[0].int64("pid") }
        var options = PostgresEngine.Options()
        options.connectionCount = 1
        let admin = try await PostgresEngine(url: serverURL, options: options)
        let terminated = try await admin.write {
            try $0.query("SELECT pg_terminate_backend($1::int, 5000) AS done", [.integer(pid)])[0].bool("done")
        }
        await admin.close()
        XCTAssertTrue(terminated)
        let newPID = try await engine.read { try $0.query("SELECT pg_backend_pid() AS pid")[0].int64("pid") }
        XCTAssertNotEqual(newPID, pid)
    }

    func testUnreachableServerIsUnavailable() async throws {
        let error = await storeError {
            try await PostgresEngine(url: "postgresql:///postgres?host=/nonexistent/medexpress&user=postgres")
        }
        guard case let .unavailable(message)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertTrue(message.contains("/nonexistent/medexpress"), message)
    }

    func testMalformedURLIsAConfigurationError() async throws {
        let error = await storeError { try await PostgresEngine(url: "postgresql://[::1/postgres") }
        guard case .invalidConfiguration? = error else { return XCTFail("got \(String(describing: error))") }
    }
}
