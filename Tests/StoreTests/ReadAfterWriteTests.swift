import Foundation
import Store
import XCTest

/// Every read that starts after a write returned sees that write, whichever reader it lands on.
final class ReadAfterWriteTests: XCTestCase {
    func testEveryReaderSeesEachCommittedUpdate() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("raw-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let engine = try await SQLiteEngine(path: directory + "/db.sqlite3")
        try await engine.write { tx in
            try tx.executeScript("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER NOT NULL)")
            try tx.execute("INSERT INTO t (id, n) VALUES ('a', 0)")
        }
        for value in 1...50 {
            try await engine.write { tx in try tx.execute("UPDATE t SET n = $1 WHERE id = 'a'", [.integer(Int64(value))]) }
            // Several reads at once, so that every reader connection takes one.
            try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await engine.read { tx in try tx.query("SELECT n FROM t WHERE id = 'a'").first!.int64("n") } }
                }
                for try await seen in group { XCTAssertEqual(seen, Int64(value), "a reader saw an old snapshot") }
            }
        }
        await engine.close()
    }
}
