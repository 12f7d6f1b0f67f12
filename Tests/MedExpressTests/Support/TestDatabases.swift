import Foundation
import MedExpress
import Store
import XCTest

/// The databases a store-backed test runs against, each migrated to the current schema: SQLite
/// in a temporary directory, and PostgreSQL in a schema of its own on the server at
/// `MEDEXPRESS_TEST_POSTGRES_URL` (the test command always starts one; without it the PostgreSQL
/// half is skipped, except under CI, where that is a failure).
enum TestDatabases {
    static let postgresURLVariable = "MEDEXPRESS_TEST_POSTGRES_URL"

    /// Runs `body` once per engine, with a fresh, migrated database each time.
    static func each(file: StaticString = #filePath, line: UInt = #line,
                     _ body: (_ engine: any StoreEngine, _ name: String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("medexpress-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sqlite = try await SQLiteEngine(path: directory + "/medexpress.sqlite3")
        try await Migrator.migrate(sqlite, Schema.migrations)
        do {
            try await body(sqlite, "SQLite")
        } catch {
            await sqlite.close()
            throw error
        }
        await sqlite.close()

        let environment = ProcessInfo.processInfo.environment
        guard let server = environment[postgresURLVariable], !server.isEmpty else {
            if environment["CI"] != nil { XCTFail("\(postgresURLVariable) is not set under CI", file: file, line: line) }
            return
        }
        let schema = "medexpress_test_\(UInt64.random(in: 0...UInt64.max))"
        try await administer(server, "CREATE SCHEMA \(schema)")
        let url = server + (server.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)"
        let postgres = try await PostgresEngine(url: url)
        do {
            try await Migrator.migrate(postgres, Schema.migrations)
            try await body(postgres, "PostgreSQL")
        } catch {
            await postgres.close()
            try? await administer(server, "DROP SCHEMA \(schema) CASCADE")
            throw error
        }
        await postgres.close()
        try await administer(server, "DROP SCHEMA \(schema) CASCADE")
    }

    private static func administer(_ url: String, _ sql: String) async throws {
        var options = PostgresEngine.Options()
        options.connectionCount = 1
        let admin = try await PostgresEngine(url: url, options: options)
        try await admin.write { try $0.executeScript(sql) }
        await admin.close()
    }
}
