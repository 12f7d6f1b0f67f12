import XCTest
@testable import Store

/// The migration history, on each engine.
extension StoreEngineTests {
    private var history: [Migration] {
        [
            Migration(version: 1, name: "customers",
                      sql: "CREATE TABLE customers (id BIGINT PRIMARY KEY, email TEXT NOT NULL, photo BLOB)",
                      postgres: "CREATE TABLE customers (id BIGINT PRIMARY KEY, email TEXT NOT NULL, photo BYTEA)"),
            Migration(version: 2, name: "customers_email_unique",
                      sql: "CREATE UNIQUE INDEX customers_email_unique ON customers (email)"),
            Migration(version: 3, name: "seed_pharmacy", sql: """
                CREATE TABLE pharmacies (id BIGINT PRIMARY KEY, name TEXT NOT NULL);
                INSERT INTO pharmacies VALUES (1, 'MedExpress Leeds');
                """),
        ]
    }

    private func recordedHistory(_ engine: any StoreEngine) async throws -> [String] {
        try await engine.read { transaction in
            try transaction.query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version").map {
                XCTAssertGreaterThan(try $0.int64("applied_at"), 1_700_000_000_000_000, "applied_at is Unix microseconds")
                return "\(try $0.int64("version")) \(try $0.string("name"))"
            }
        }
    }

    func testMigrationsApplyOnceInOrderAndARerunAppliesNothing() async throws {
        let engine = try await engine()
        let applied = try await Migrator.migrate(engine, history)
        XCTAssertEqual(applied.map(\.version), [1, 2, 3])
        let rerun = try await Migrator.migrate(engine, history)
        XCTAssertEqual(rerun, [])
        let recorded = try await recordedHistory(engine)
        XCTAssertEqual(recorded, ["1 customers", "2 customers_email_unique", "3 seed_pharmacy"])
        let pharmacies = try await engine.read { try $0.query("SELECT COUNT(*) AS n FROM pharmacies")[0].int64("n") }
        XCTAssertEqual(pharmacies, 1, "a migration ran twice")
        // The dialect's own body ran: the photo column takes bytes on both engines.
        try await engine.write { try $0.execute("INSERT INTO customers VALUES (1, 'a@example.com', $1)", [.blob([0, 1])]) }

        let next = history + [Migration(version: 4, name: "customer_phone", sql: "ALTER TABLE customers ADD COLUMN phone TEXT")]
        let later = try await Migrator.migrate(engine, next)
        XCTAssertEqual(later.map(\.version), [4])
    }

    func testMigratorRefusesADatabaseFromANewerRelease() async throws {
        let engine = try await engine()
        try await Migrator.migrate(engine, history)
        let error = await storeError { try await Migrator.migrate(engine, Array(history.prefix(2))) }
        guard case let .schema(message)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertTrue(message.contains("migration 3 (seed_pharmacy)") && message.contains("newer release"), message)
    }

    func testMigratorRefusesARenamedMigration() async throws {
        let engine = try await engine()
        try await Migrator.migrate(engine, Array(history.prefix(2)))
        var renamed = history
        renamed[1] = Migration(version: 2, name: "unique_emails", sql: renamed[1].sql)
        let error = await storeError { try await Migrator.migrate(engine, renamed) }
        guard case let .schema(message)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertTrue(message.contains("'customers_email_unique'") && message.contains("'unique_emails'"), message)
        let recorded = try await recordedHistory(engine)
        XCTAssertEqual(recorded.count, 2, "nothing was applied after the refusal")
    }

    func testFailingMigrationIsRolledBackWholeAndNamed() async throws {
        let engine = try await engine()
        let broken = Migration(version: 2, name: "half_done", sql: """
            CREATE TABLE half (id BIGINT PRIMARY KEY);
            INSERT INTO no_such_table VALUES (1);
            """)
        let error = await storeError { try await Migrator.migrate(engine, [history[0], broken]) }
        guard case let .schema(message)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertTrue(message.contains("migration 2 (half_done)") && message.contains("no_such_table"), message)
        let recorded = try await recordedHistory(engine)
        XCTAssertEqual(recorded, ["1 customers"])
        let half = await storeError { try await engine.read { try $0.query("SELECT * FROM half") } }
        guard case .programmingError? = half else { return XCTFail("table half survived the rollback: \(String(describing: half))") }
    }

    func testMigratorRefusesAnUnorderedHistory() async throws {
        let engine = try await engine()
        let error = await storeError { try await Migrator.migrate(engine, [history[1], history[0]]) }
        guard case .programmingError? = error else { return XCTFail("got \(String(describing: error))") }
    }

    func testInstancesStartingTogetherApplyEachMigrationOnce() async throws {
        // Four engines on one database stand for four server instances starting at once.
        var engines: [any StoreEngine] = []
        for _ in 0..<4 { engines.append(try await engine(EngineShape(workers: 1))) }
        let migrations = history + [Migration(version: 4, name: "count_runs", sql: """
            CREATE TABLE runs (instance BIGINT);
            INSERT INTO runs VALUES (1);
            """)]
        let applied = try await withThrowingTaskGroup(of: [Migration].self) { group in
            for engine in engines {
                group.addTask { try await Migrator.migrate(engine, migrations) }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        XCTAssertEqual(applied.map(\.version).sorted(), [1, 2, 3, 4], "each migration is applied by exactly one instance")
        let runs = try await engines[0].read { try $0.query("SELECT COUNT(*) AS n FROM runs")[0].int64("n") }
        XCTAssertEqual(runs, 1)
    }
}
