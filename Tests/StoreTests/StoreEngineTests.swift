import Foundation
import Synchronization
import XCTest
@testable import Store

/// How a test wants its engine shaped.
struct EngineShape {
    /// SQLite readers, or PostgreSQL connections.
    var workers = 4
    /// The bound of each queue.
    var queueCapacity = 1024
}

/// The store suite, run against each engine by its subclasses (`SQLiteStoreTests`,
/// `PostgresStoreTests`). Every test has a database of its own: a fresh SQLite file in a temporary
/// directory, or a fresh PostgreSQL schema; engines a test opens share that database.
class StoreEngineTests: XCTestCase {
    private let opened = Mutex<[any StoreEngine]>([])

    /// Opens an engine on this test's database. Subclasses provide it.
    func makeEngine(_ shape: EngineShape) async throws -> any StoreEngine {
        throw XCTSkip("the shared store suite runs in SQLiteStoreTests and PostgresStoreTests")
    }

    /// Write transactions waiting in `engine`'s queue. Subclasses provide it.
    func waitingWrites(_ engine: any StoreEngine) -> Int {
        fatalError("subclasses provide waitingWrites")
    }

    /// What names this test's database for a child process: the SQLite directory or the
    /// PostgreSQL schema. Subclasses provide it.
    var databaseName: String {
        fatalError("subclasses provide databaseName")
    }

    /// Set in a child process started by a test: the database it must use instead of a new one.
    static let childDatabaseVariable = "MEDEXPRESS_STORE_TEST_CHILD_DATABASE"

    /// The parent test's database, when this process is a child started by a test.
    static var childDatabase: String? {
        ProcessInfo.processInfo.environment[childDatabaseVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Opens an engine on this test's database, closed when the test ends.
    func engine(_ shape: EngineShape = EngineShape()) async throws -> any StoreEngine {
        let engine = try await makeEngine(shape)
        opened.withLock { $0.append(engine) }
        return engine
    }

    override func tearDown() async throws {
        for engine in opened.withLock({ $0 }) { await engine.close() }
    }

    /// The column type for bytes in `engine`'s dialect.
    func blobType(_ engine: any StoreEngine) -> String {
        engine.dialect == .sqlite ? "BLOB" : "BYTEA"
    }

    private func makeCounter(_ engine: any StoreEngine) async throws {
        try await engine.write { transaction in
            try transaction.execute("CREATE TABLE counters (id BIGINT PRIMARY KEY, value BIGINT NOT NULL)")
            try transaction.execute("INSERT INTO counters (id, value) VALUES (1, 0)")
        }
    }

    private func counterValue(_ engine: any StoreEngine) async throws -> Int64 {
        try await engine.read { try $0.query("SELECT value FROM counters WHERE id = 1")[0].int64("value") }
    }

    // MARK: - Values

    func testEveryValueKindRoundTripsExactly() async throws {
        let engine = try await engine()
        let everyByte = (0...255).map(UInt8.init) + [0, 0, 0xFF, 0]
        var generator = SystemRandomNumberGenerator()
        let large = (0..<262_144).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let cases: [(text: SQLValue, blob: SQLValue, integer: SQLValue)] = [
            (.text(""), .blob([]), .integer(0)),
            (.text("Zoë Ó Briain, 處方箋 💊, it's \"quoted\"\\"), .blob(everyByte), .integer(Int64.max)),
            (.text("line\nbreak\ttab"), .blob([0]), .integer(Int64.min)),
            (.null, .null, .null),
            (.text(String(repeating: "ß", count: 10_000)), .blob(large), .integer(-1)),
        ]
        let blob = blobType(engine)
        try await engine.write { transaction in
            try transaction.execute("CREATE TABLE vals (id BIGINT PRIMARY KEY, t TEXT, b \(blob), i BIGINT)")
            for (id, row) in cases.enumerated() {
                try transaction.execute("INSERT INTO vals (id, t, b, i) VALUES ($1, $2, $3, $4)",
                                        [.integer(Int64(id)), row.text, row.blob, row.integer])
            }
        }
        let rows = try await engine.read { try $0.query("SELECT id, t, b, i FROM vals ORDER BY id") }
        XCTAssertEqual(rows.count, cases.count)
        for (row, expected) in zip(rows, cases) {
            XCTAssertEqual(try row.value("t"), expected.text)
            XCTAssertEqual(try row.value("b"), expected.blob)
            XCTAssertEqual(try row.value("i"), expected.integer)
        }
        // An empty blob stays a blob, not NULL; an empty text stays text.
        XCTAssertEqual(try rows[0].bytes("b"), [])
        XCTAssertEqual(try rows[0].string("t"), "")
        XCTAssertNil(try rows[3].optionalBytes("b"))
        XCTAssertNil(try rows[3].optionalString("t"))
        XCTAssertNil(try rows[3].optionalInt64("i"))

        // Parameters come back unchanged from a bare SELECT as well.
        for value in [SQLValue.integer(-42), .text("é"), .blob([0, 1, 0]), .blob([])] {
            let echoed = try await engine.read { try $0.query("SELECT $1 AS v", [value])[0].value("v") }
            XCTAssertEqual(echoed, value)
        }
    }

    func testBooleansAreStoredAsZeroAndOne() async throws {
        let engine = try await engine()
        try await engine.write { transaction in
            try transaction.execute("CREATE TABLE flags (id BIGINT PRIMARY KEY, on_hold INTEGER NOT NULL CHECK (on_hold IN (0, 1)))")
            try transaction.execute("INSERT INTO flags VALUES (1, $1), (2, $2)", [.bool(true), .bool(false)])
        }
        let flags = try await engine.read { try $0.query("SELECT on_hold FROM flags ORDER BY id").map { try $0.bool("on_hold") } }
        XCTAssertEqual(flags, [true, false])
    }

    // MARK: - Transactions

    func testThrowingBodyRollsBackEverything() async throws {
        struct Abandoned: Error {}
        let engine = try await engine()
        try await engine.write { try $0.execute("CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT NOT NULL)") }
        do {
            try await engine.write { transaction in
                try transaction.execute("INSERT INTO notes VALUES (1, 'first')")
                try transaction.execute("INSERT INTO notes VALUES (2, 'second')")
                throw Abandoned()
            }
            XCTFail("the body's error should come back")
        } catch is Abandoned {}
        let count = try await engine.read { try $0.query("SELECT COUNT(*) AS n FROM notes")[0].int64("n") }
        XCTAssertEqual(count, 0)
        // The writer is usable afterwards: no transaction was left open.
        try await engine.write { try $0.execute("INSERT INTO notes VALUES (3, 'third')") }
        let after = try await engine.read { try $0.query("SELECT id FROM notes").map { try $0.int64("id") } }
        XCTAssertEqual(after, [3])
    }

    func testFailedStatementFailsTheWholeTransactionEvenWhenCaught() async throws {
        let engine = try await engine()
        try await engine.write { transaction in
            try transaction.execute("CREATE TABLE customers (id BIGINT PRIMARY KEY, email TEXT NOT NULL)")
            try transaction.execute("CREATE UNIQUE INDEX customers_email_unique ON customers (email)")
            try transaction.execute("INSERT INTO customers VALUES (1, 'a@example.com')")
        }
        let error = await storeError {
            try await engine.write { transaction in
                try transaction.execute("INSERT INTO customers VALUES (2, 'b@example.com')")
                do {
                    try transaction.execute("INSERT INTO customers VALUES (3, 'a@example.com')")
                } catch {
                    // Swallowed; the transaction must still fail.
                }
                return 0
            }
        }
        guard case .uniqueViolation(constraint: "customers_email_unique", _)? = error else {
            return XCTFail("expected the caught unique violation, got \(String(describing: error))")
        }
        let ids = try await engine.read { try $0.query("SELECT id FROM customers ORDER BY id").map { try $0.int64("id") } }
        XCTAssertEqual(ids, [1])
    }

    func testReadersSeeOnlyCommittedData() async throws {
        let engine = try await engine()
        try await engine.write { try $0.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, state TEXT NOT NULL)") }
        let inserted = Event()
        let commit = Gate()
        let writer = Task {
            try await engine.write { transaction in
                try transaction.execute("INSERT INTO orders VALUES (1, 'placed')")
                inserted.set()
                commit.pass()
            }
        }
        await inserted.wait()
        let during = try await engine.read { try $0.query("SELECT COUNT(*) AS n FROM orders")[0].int64("n") }
        XCTAssertEqual(during, 0, "a reader saw an uncommitted row")
        commit.open()
        try await writer.value
        let after = try await engine.read { try $0.query("SELECT COUNT(*) AS n FROM orders")[0].int64("n") }
        XCTAssertEqual(after, 1)
    }

    func testReadTransactionSeesOneSnapshot() async throws {
        let engine = try await engine()
        try await makeCounter(engine)
        let firstRead = Event()
        let secondRead = Gate()
        let reader = Task {
            try await engine.read { transaction in
                let before = try transaction.query("SELECT value FROM counters")[0].int64("value")
                firstRead.set()
                secondRead.pass()
                let after = try transaction.query("SELECT value FROM counters")[0].int64("value")
                return [before, after]
            }
        }
        await firstRead.wait()
        try await engine.write { try $0.execute("UPDATE counters SET value = 7") }
        secondRead.open()
        let values = try await reader.value
        XCTAssertEqual(values, [0, 0], "a read transaction saw a commit made after it started")
        let now = try await counterValue(engine)
        XCTAssertEqual(now, 7)
    }

    func testReadTransactionCannotWrite() async throws {
        let engine = try await engine()
        try await makeCounter(engine)
        let error = await storeError {
            try await engine.read { try $0.query("UPDATE counters SET value = 5 RETURNING value") }
        }
        guard case .programmingError? = error else { return XCTFail("got \(String(describing: error))") }
        let escaped = await storeError {
            try await engine.read { transaction in
                guard let writable = transaction as? WriteTransaction else { return 0 }
                return try writable.execute("UPDATE counters SET value = 5")
            }
        }
        guard case .programmingError? = escaped else { return XCTFail("got \(String(describing: escaped))") }
        let value = try await counterValue(engine)
        XCTAssertEqual(value, 0)
    }

    // MARK: - Constraints

    func testDuplicateIsAUniqueViolationNamingTheIndex() async throws {
        let engine = try await engine()
        try await engine.write { transaction in
            try transaction.execute("CREATE TABLE customers (id BIGINT PRIMARY KEY, email TEXT NOT NULL, phone TEXT UNIQUE)")
            try transaction.execute("CREATE UNIQUE INDEX customers_email_unique ON customers (email)")
            try transaction.execute("INSERT INTO customers VALUES (1, 'a@example.com', '0123')")
        }
        let cases: [(sql: String, constraint: String)] = [
            ("INSERT INTO customers VALUES (2, 'a@example.com', NULL)", "customers_email_unique"),
            ("INSERT INTO customers VALUES (1, 'b@example.com', NULL)", "customers_pkey"),
            // An inline UNIQUE gets PostgreSQL's default name on both engines.
            ("INSERT INTO customers VALUES (3, 'c@example.com', '0123')", "customers_phone_key"),
        ]
        for (sql, constraint) in cases {
            let error = await storeError { try await engine.write { try $0.execute(sql) } }
            guard case let .uniqueViolation(name, message)? = error else {
                XCTFail("\(sql): expected a unique violation, got \(String(describing: error))")
                continue
            }
            XCTAssertEqual(name, constraint, sql)
            XCTAssertFalse(message.contains("@example.com"), "messages must not repeat values: \(message)")
        }
        let count = try await engine.read { try $0.query("SELECT COUNT(*) AS n FROM customers")[0].int64("n") }
        XCTAssertEqual(count, 1)
    }

    func testNotNullCheckAndForeignKeyViolationsAreTyped() async throws {
        let engine = try await engine()
        try await engine.write { transaction in
            try transaction.executeScript("""
                CREATE TABLE products (id BIGINT PRIMARY KEY, stock BIGINT NOT NULL,
                                       CONSTRAINT stock_not_negative CHECK (stock >= 0));
                CREATE TABLE order_lines (id BIGINT PRIMARY KEY,
                                          product_id BIGINT NOT NULL REFERENCES products (id));
                INSERT INTO products VALUES (1, 5);
                """)
        }
        let cases: [(sql: String, kind: StoreError.ConstraintKind, constraint: String?)] = [
            ("INSERT INTO products VALUES (2, NULL)", .notNull, nil),
            ("UPDATE products SET stock = stock - 6 WHERE id = 1", .check, "stock_not_negative"),
            ("INSERT INTO order_lines VALUES (1, 99)", .foreignKey, engine.dialect == .postgres ? "order_lines_product_id_fkey" : nil),
        ]
        for (sql, kind, constraint) in cases {
            let error = await storeError { try await engine.write { try $0.execute(sql) } }
            guard case let .constraintViolation(foundKind, foundConstraint, _)? = error else {
                XCTFail("\(sql): expected a constraint violation, got \(String(describing: error))")
                continue
            }
            XCTAssertEqual(foundKind, kind, sql)
            XCTAssertEqual(foundConstraint, constraint, sql)
        }
        let stock = try await engine.read { try $0.query("SELECT stock FROM products WHERE id = 1")[0].int64("stock") }
        XCTAssertEqual(stock, 5)
    }

    func testConditionalUpdateChangesNothingWhenTheStateMoved() async throws {
        let engine = try await engine()
        try await engine.write { transaction in
            try transaction.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, state TEXT NOT NULL)")
            try transaction.execute("INSERT INTO orders VALUES (1, 'awaiting_prescriber')")
        }
        let approve = "UPDATE orders SET state = 'approved' WHERE id = $1 AND state = $2"
        let first = try await engine.write { try $0.execute(approve, [1, "awaiting_prescriber"]) }
        XCTAssertEqual(first, 1)
        let second = try await engine.write { try $0.execute(approve, [1, "awaiting_prescriber"]) }
        XCTAssertEqual(second, 0, "the order had already moved on")
        let state = try await engine.read { try $0.query("SELECT state FROM orders WHERE id = 1")[0].string("state") }
        XCTAssertEqual(state, "approved")
    }

    // MARK: - Concurrency

    func testConcurrentConditionalIncrementsLoseNoUpdate() async throws {
        let engine = try await engine()
        try await makeCounter(engine)
        let writers = 40
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<writers {
                group.addTask {
                    try await engine.write { transaction in
                        // Read, compute, write back only if nobody else wrote in between.
                        for _ in 0..<1000 {
                            let value = try transaction.query("SELECT value FROM counters WHERE id = 1")[0].int64("value")
                            if try transaction.execute("UPDATE counters SET value = $1 WHERE id = 1 AND value = $2",
                                                       [.integer(value + 1), .integer(value)]) == 1 { return }
                        }
                        XCTFail("the conditional update never won")
                    }
                }
            }
            try await group.waitForAll()
        }
        let value = try await counterValue(engine)
        XCTAssertEqual(value, Int64(writers))
    }

    func testConcurrentIncrementsUnderARowLockLoseNoUpdate() async throws {
        let engine = try await engine()
        try await makeCounter(engine)
        // SQLite's single writer already excludes other writers; PostgreSQL needs the row lock.
        let lock = engine.dialect == .postgres ? " FOR UPDATE" : ""
        let writers = 40
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<writers {
                group.addTask {
                    try await engine.write { transaction in
                        let value = try transaction.query("SELECT value FROM counters WHERE id = 1\(lock)")[0].int64("value")
                        try transaction.execute("UPDATE counters SET value = $1 WHERE id = 1", [.integer(value + 1)])
                    }
                }
            }
            try await group.waitForAll()
        }
        let value = try await counterValue(engine)
        XCTAssertEqual(value, Int64(writers))
    }

    // MARK: - Mistakes

    func testInvalidSQLIsAProgrammingErrorCarryingTheEngineMessage() async throws {
        let engine = try await engine()
        let missingTable = await storeError { try await engine.read { try $0.query("SELECT * FROM no_such_table") } }
        guard case let .programmingError(message)? = missingTable else {
            return XCTFail("got \(String(describing: missingTable))")
        }
        XCTAssertTrue(message.contains("no_such_table"), message)
        let syntax = await storeError { try await engine.write { try $0.execute("INSERT INTO WHERE") } }
        guard case let .programmingError(syntaxMessage)? = syntax else { return XCTFail("got \(String(describing: syntax))") }
        XCTAssertTrue(syntaxMessage.contains("syntax error"), syntaxMessage)
    }

    func testParameterMistakesAreProgrammingErrors() async throws {
        let engine = try await engine()
        try await makeCounter(engine)
        let mistakes: [(sql: String, parameters: [SQLValue])] = [
            ("SELECT value FROM counters WHERE id = $1", []),
            ("SELECT value FROM counters WHERE id = $1", [1, 2]),
            ("SELECT $1 AS v", [.text("nul\u{0}inside")]),
        ]
        for (sql, parameters) in mistakes {
            let error = await storeError { try await engine.read { try $0.query(sql, parameters) } }
            guard case .programmingError? = error else {
                XCTFail("\(sql) with \(parameters.count) parameters: got \(String(describing: error))")
                continue
            }
        }
    }

    func testRowAccessorsNameTheMissingColumnAndTheWrongType() async throws {
        let engine = try await engine()
        let row = try await engine.read { try $0.query("SELECT 5 AS quantity, 'x' AS name, NULL AS note")[0] }
        XCTAssertEqual(try row.int64("quantity"), 5)
        XCTAssertThrowsError(try row.int64("quantiy")) { error in
            XCTAssertTrue("\(error)".contains("'quantiy'") && "\(error)".contains("quantity, name, note"), "\(error)")
        }
        XCTAssertThrowsError(try row.string("quantity")) { error in
            XCTAssertTrue("\(error)".contains("'quantity' holds integer, not text"), "\(error)")
        }
        XCTAssertThrowsError(try row.int64("note")) { error in
            XCTAssertTrue("\(error)".contains("'note' is NULL"), "\(error)")
        }
        XCTAssertNil(try row.optionalString("note"))
    }

    // MARK: - Queues and lifecycle

    func testFullQueueRefusesWorkAtOnce() async throws {
        let engine = try await engine(EngineShape(workers: 1, queueCapacity: 2))
        try await makeCounter(engine)
        let started = Event()
        let release = Gate()
        let blocker = Task {
            try await engine.write { transaction in
                started.set()
                release.pass()
                try transaction.execute("UPDATE counters SET value = value + 1")
            }
        }
        await started.wait()
        let queued = (0..<2).map { _ in
            Task { try await engine.write { try $0.execute("UPDATE counters SET value = value + 1") } }
        }
        await eventually { self.waitingWrites(engine) == 2 }
        let refused = await storeError { try await engine.write { try $0.execute("UPDATE counters SET value = value + 100") } }
        guard case .overloaded? = refused else { return XCTFail("got \(String(describing: refused))") }
        release.open()
        try await blocker.value
        for task in queued { _ = try await task.value }
        let value = try await counterValue(engine)
        XCTAssertEqual(value, 3, "the queued writes ran; the refused one did not")
    }

    func testCloseLetsTransactionsInProgressFinish() async throws {
        let engine = try await engine(EngineShape(workers: 1))
        try await makeCounter(engine)
        let started = Event()
        let release = Gate()
        let running = Task {
            try await engine.write { transaction in
                started.set()
                release.pass()
                try transaction.execute("UPDATE counters SET value = value + 1")
            }
        }
        await started.wait()
        let queued = Task { try await engine.write { try $0.execute("UPDATE counters SET value = value + 10") } }
        await eventually { self.waitingWrites(engine) == 1 }
        let closed = Event()
        let closing = Task {
            await engine.close()
            closed.set()
        }
        try await Task.sleep(for: .milliseconds(100))
        XCTAssertFalse(closed.isSet, "close returned while a transaction was running")
        let refused = await storeError { try await engine.write { try $0.execute("UPDATE counters SET value = value + 100") } }
        guard case .unavailable? = refused else { return XCTFail("got \(String(describing: refused))") }
        release.open()
        try await running.value
        _ = try await queued.value
        await closing.value
        let reopened = try await self.engine()
        let value = try await counterValue(reopened)
        XCTAssertEqual(value, 11, "both the running and the queued transaction committed")
    }

    func testTaskCancelledBeforeItsTransactionStartsDoesNotRunIt() async throws {
        let engine = try await engine(EngineShape(workers: 1))
        try await makeCounter(engine)
        let started = Event()
        let release = Gate()
        let blocker = Task {
            try await engine.write { _ in
                started.set()
                release.pass()
            }
        }
        await started.wait()
        let cancelled = Task { try await engine.write { try $0.execute("UPDATE counters SET value = 99") } }
        await eventually { self.waitingWrites(engine) == 1 }
        cancelled.cancel()
        release.open()
        try await blocker.value
        do {
            _ = try await cancelled.value
            XCTFail("a cancelled transaction ran")
        } catch is CancellationError {}
        let value = try await counterValue(engine)
        XCTAssertEqual(value, 0)
    }
}
