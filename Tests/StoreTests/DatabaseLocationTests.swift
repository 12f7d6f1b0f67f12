import Foundation
import XCTest
@testable import Store

/// Choosing the engine from `--database` / `MEDEXPRESS_DATABASE_URL`.
final class DatabaseLocationTests: XCTestCase {
    func testNoURLMeansSQLiteInTheDataDirectory() throws {
        XCTAssertEqual(try DatabaseLocation(url: nil, dataDirectory: "/var/lib/medexpress"),
                       .sqlite(path: "/var/lib/medexpress/medexpress.sqlite3"))
        XCTAssertEqual(try DatabaseLocation(url: "  ", dataDirectory: "data/"), .sqlite(path: "data/medexpress.sqlite3"))
    }

    func testPostgresURLsMeanPostgreSQL() throws {
        for url in ["postgres://db.internal/medexpress", "postgresql://user:secret@db:5432/medexpress?sslmode=require",
                    "PostgreSQL:///medexpress?host=/run/postgresql"] {
            XCTAssertEqual(try DatabaseLocation(url: url, dataDirectory: "data"), .postgres(url: url))
        }
    }

    func testOtherSchemesAreRefused() {
        for url in ["mysql://db/medexpress", "postgres:/db", "/var/lib/medexpress.db", "host=db dbname=medexpress"] {
            XCTAssertThrowsError(try DatabaseLocation(url: url, dataDirectory: "data"), url) { error in
                guard case StoreError.invalidConfiguration = error else { return XCTFail("\(url): \(error)") }
            }
        }
    }

    func testDescriptionHidesThePassword() throws {
        let location = try DatabaseLocation(url: "postgresql://medexpress:hunter2@db:5432/medexpress", dataDirectory: "data")
        XCTAssertEqual(location.description, "postgresql://medexpress:***@db:5432/medexpress")
        let parameter = try DatabaseLocation(url: "postgres:///medexpress?host=/run/pg&password=hunter2&sslmode=require",
                                             dataDirectory: "data")
        XCTAssertEqual(parameter.description, "postgres:///medexpress?host=/run/pg&password=***&sslmode=require")
    }

    func testOpeningSQLiteCreatesThePrivateDataDirectory() async throws {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("store-location-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: parent) }
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: false)
        let location = try DatabaseLocation(url: nil, dataDirectory: "\(parent)/data")
        let engine = try await location.open()
        XCTAssertEqual(engine.dialect, .sqlite)
        try await engine.write { try $0.execute("CREATE TABLE t (x BIGINT)") }
        await engine.close()
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(parent)/data/medexpress.sqlite3"))
        let attributes = try FileManager.default.attributesOfItem(atPath: "\(parent)/data")
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o700)
    }
}
