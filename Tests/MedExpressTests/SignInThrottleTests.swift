import MedExpress
import Store
import XCTest

/// Throttle rows are made for any account or address that fails; pruning removes those no rule
/// remembers, and keeps recent and locked ones.
final class SignInThrottleTests: XCTestCase {
    func testPruningRemovesOnlyRowsNoRuleRemembers() async throws {
        try await TestDatabases.each { store, name in
            let now: Int64 = 1_800_000_000_000_000
            let day: Int64 = 24 * 60 * 60 * 1_000_000
            try await store.write { tx in
                for (key, updated, locked) in [("account:old", now - 2 * day, 0), ("address:recent", now - 60_000_000, 0),
                                               ("account:old-but-locked", now - 2 * day, now + 60_000_000)] as [(String, Int64, Int64)] {
                    try tx.execute("INSERT INTO login_throttles (key, failures, locked_until_us, updated_at_us) VALUES ($1, 3, $2, $3)",
                                   [.text(key), .integer(locked), .integer(updated)])
                }
            }
            let removed = try await SignInThrottle.prune(store: store, now: now)
            XCTAssertEqual(removed, 1, name)
            let left = try await store.read { tx in try tx.query("SELECT key FROM login_throttles ORDER BY key").map { try $0.string("key") } }
            XCTAssertEqual(left, ["account:old-but-locked", "address:recent"], name)
        }
    }
}
