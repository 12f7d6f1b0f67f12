import Store
import XCTest
@testable import MedExpress

final class SchemaTests: XCTestCase {
    func testAPortableMigrationDerivesPostgreSQLTypes() {
        let migration = Migration.portable(version: 99, name: "sample", sql: """
            CREATE TABLE t (id TEXT PRIMARY KEY, body BLOB NOT NULL, role INTEGER NOT NULL, created_at_us INTEGER NOT NULL,
                            totp_last_step INTEGER NOT NULL DEFAULT -1)
            """)
        XCTAssertEqual(migration.sql(for: .postgres), """
            CREATE TABLE t (id TEXT PRIMARY KEY, body BYTEA NOT NULL, role INTEGER NOT NULL, created_at_us BIGINT NOT NULL,
                            totp_last_step BIGINT NOT NULL DEFAULT -1)
            """)
        XCTAssertEqual(migration.sql(for: .sqlite), migration.sql)
    }

    func testVersionsAreOneToNInOrder() {
        XCTAssertEqual(Schema.migrations.map(\.version), Array(1...Schema.migrations.count))
    }
}
