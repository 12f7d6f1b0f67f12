import Glibc

/// Brings a database's schema up to this binary's migration history.
public enum Migrator {
    /// Where the applied history is kept: one row per migration, `applied_at` in Unix
    /// microseconds.
    public static let historyTable = "schema_migrations"

    /// Applies the migrations `database` lacks, in version order, each in its own write
    /// transaction together with its `schema_migrations` row, and returns those it applied.
    ///
    /// Refuses (`StoreError.schema`) a database holding a version this binary does not know (a
    /// newer release migrated it), a known version recorded under another name, or a gap in the
    /// applied history; a failing migration is rolled back whole and named. On PostgreSQL each
    /// transaction first takes an advisory lock, so instances starting together apply each
    /// migration once: the others wait, then find it applied.
    @discardableResult
    public static func migrate(_ database: any StoreEngine, _ migrations: [Migration]) async throws -> [Migration] {
        try check(migrations)
        var applied: [Migration] = []
        // Each pass applies at most one migration; one more finds nothing left.
        for _ in 0...migrations.count {
            guard let migration = try await applyNext(database, migrations) else { return applied }
            applied.append(migration)
        }
        throw StoreError.schema("migrations kept appearing as missing after being applied; is another binary migrating the same database?")
    }

    /// The history must be strictly increasing, positive, and named.
    private static func check(_ migrations: [Migration]) throws(StoreError) {
        var previous = 0
        for migration in migrations {
            guard migration.version > previous else {
                throw .programmingError("migration versions must be positive and strictly increasing; \(migration.version) (\(migration.name)) follows \(previous)")
            }
            guard !migration.name.isEmpty else {
                throw .programmingError("migration \(migration.version) has no name")
            }
            previous = migration.version
        }
    }

    /// One transaction: lock, create the history table if need be, check the history, and apply
    /// the first missing migration. Nil when none is missing.
    private static func applyNext(_ database: any StoreEngine, _ migrations: [Migration]) async throws -> Migration? {
        let dialect = database.dialect
        let body: @Sendable (any WriteTransaction) throws -> Migration? = { transaction in
            if dialect == .postgres {
                // Held until this transaction ends; every instance's migrator takes the same key.
                try transaction.execute("SELECT pg_advisory_xact_lock($1)", [.integer(advisoryLockKey)])
            }
            try transaction.executeScript("""
                CREATE TABLE IF NOT EXISTS \(historyTable) (
                    version BIGINT PRIMARY KEY,
                    name TEXT NOT NULL,
                    applied_at BIGINT NOT NULL
                )
                """)
            let recorded = try transaction.query("SELECT version, name FROM \(historyTable) ORDER BY version")
                .map { (version: try $0.int("version"), name: try $0.string("name")) }
            guard let missing = try firstMissing(recorded: recorded, migrations: migrations) else { return nil }
            do {
                try transaction.executeScript(missing.sql(for: dialect))
            } catch let error as StoreError where !error.isTransient {
                throw StoreError.schema("migration \(missing.version) (\(missing.name)) failed and was rolled back: \(error)")
            }
            try transaction.execute("INSERT INTO \(historyTable) (version, name, applied_at) VALUES ($1, $2, $3)",
                                    [.integer(Int64(missing.version)), .text(missing.name), .integer(unixMicroseconds())])
            return missing
        }
        // The advisory lock must come before the transaction's snapshot, so PostgreSQL runs the
        // migrator at READ COMMITTED whatever the engine's default, and sees what others committed.
        if let postgres = database as? PostgresEngine {
            return try await postgres.write(isolation: .readCommitted, body)
        }
        return try await database.write(body)
    }

    /// The first migration not yet recorded, after checking the recorded history against ours.
    private static func firstMissing(recorded: [(version: Int, name: String)],
                                     migrations: [Migration]) throws(StoreError) -> Migration? {
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for entry in recorded {
            guard let migration = known[entry.version] else {
                let newest = migrations.last.map { "\($0.version) (\($0.name))" } ?? "none"
                throw .schema("the database has migration \(entry.version) (\(entry.name)), which this binary does not know (its newest is \(newest)): a newer release migrated it; run that release or restore a backup")
            }
            guard migration.name == entry.name else {
                throw .schema("migration \(entry.version) was applied as '\(entry.name)' but this binary calls it '\(migration.name)': released migrations must never be renamed or replaced")
            }
        }
        let recordedVersions = Set(recorded.map(\.version))
        guard let missing = migrations.first(where: { !recordedVersions.contains($0.version) }) else { return nil }
        if let later = recorded.first(where: { $0.version > missing.version }) {
            throw .schema("migration \(missing.version) (\(missing.name)) is missing although the later \(later.version) (\(later.name)) is applied; the history has a gap")
        }
        return missing
    }

    /// The advisory lock key for migrations: "medxmigr" in ASCII.
    static let advisoryLockKey: Int64 = 0x6D65_6478_6D69_6772

    private static func unixMicroseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }
}
