import MedExpress
import Store
import XCTest

/// The audit log is a hash chain: verification passes on an untouched log and names the first
/// entry that was edited, removed or appended around the chain.
final class AuditLogTests: XCTestCase {
    private func entry(_ number: Int) -> AuditEntry {
        AuditEntry(atMicroseconds: 1_700_000_000_000_000 + Int64(number), actor: "stf_\(number)", role: 2,
                   certificateThumbprint: "ab", method: "/medexpress.v1.AuthService/Login", resource: "cus_\(number)",
                   action: "login", outcome: "ok", detail: "entry \(number)")
    }

    private func appendEntries(_ count: Int, to engine: any StoreEngine) async throws {
        for number in 1...count {
            let entry = entry(number)
            try await engine.write { tx in try AuditLog.append(entry, in: tx, dialect: engine.dialect) }
        }
    }

    func testAnUntouchedLogVerifies() async throws {
        try await TestDatabases.each { engine, name in
            let empty = try await AuditLog.verify(engine)
            XCTAssertEqual(empty, .intact(entries: 0), name)
            try await appendEntries(5, to: engine)
            let verified = try await AuditLog.verify(engine)
            XCTAssertEqual(verified, .intact(entries: 5), name)
        }
    }

    func testTheLogRefusesUpdatesAndDeletes() async throws {
        try await TestDatabases.each { engine, name in
            try await appendEntries(1, to: engine)
            do {
                try await engine.write { tx in try tx.execute("UPDATE audit_log SET outcome = 'denied' WHERE seq = 1") }
                XCTFail("\(name): an audit entry was updated")
            } catch {
                XCTAssertTrue("\(error)".contains("append-only"), "\(name): \(error)")
            }
            do {
                try await engine.write { tx in try tx.execute("DELETE FROM audit_log") }
                XCTFail("\(name): audit entries were deleted")
            } catch {
                XCTAssertTrue("\(error)".contains("append-only"), "\(name): \(error)")
            }
        }
    }

    /// Someone with write access to the database (here: dropping the guard triggers first) edits
    /// one entry: verification names exactly that one.
    func testVerificationNamesTheEditedEntry() async throws {
        try await TestDatabases.each { engine, name in
            try await appendEntries(6, to: engine)
            try await Self.dropGuards(engine)
            try await engine.write { tx in try tx.execute("UPDATE audit_log SET outcome = 'denied' WHERE seq = 4") }
            let verified = try await AuditLog.verify(engine)
            guard case .broken(let sequence, let reason) = verified else { return XCTFail("\(name): \(verified)") }
            XCTAssertEqual(sequence, 4, name)
            XCTAssertTrue(reason.contains("changed"), reason)
        }
    }

    func testVerificationNamesARemovedEntryAndATruncatedEnd() async throws {
        try await TestDatabases.each { engine, name in
            try await appendEntries(6, to: engine)
            try await Self.dropGuards(engine)
            try await engine.write { tx in try tx.execute("DELETE FROM audit_log WHERE seq = 3") }
            let gap = try await AuditLog.verify(engine)
            guard case .broken(let sequence, _) = gap else { return XCTFail("\(name): \(gap)") }
            XCTAssertEqual(sequence, 3, name)
        }
        try await TestDatabases.each { engine, name in
            try await appendEntries(6, to: engine)
            try await Self.dropGuards(engine)
            try await engine.write { tx in try tx.execute("DELETE FROM audit_log WHERE seq = 6") }
            let truncated = try await AuditLog.verify(engine)
            guard case .broken(let sequence, let reason) = truncated else { return XCTFail("\(name): \(truncated)") }
            XCTAssertEqual(sequence, 6, name)
            XCTAssertTrue(reason.contains("deleted from the end"), reason)
        }
    }

    func testARewrittenEntryWithARecomputedPlainHashStillBreaksTheNextLink() async throws {
        try await TestDatabases.each { engine, name in
            try await appendEntries(3, to: engine)
            try await Self.dropGuards(engine)
            // Replace entry 2's hash with garbage: entry 2 fails on its own contents.
            try await engine.write { tx in try tx.execute("UPDATE audit_log SET hash = $1 WHERE seq = 2", [.blob([UInt8](repeating: 7, count: 32))]) }
            let verified = try await AuditLog.verify(engine)
            guard case .broken(let sequence, _) = verified else { return XCTFail("\(name): \(verified)") }
            XCTAssertEqual(sequence, 2, name)
        }
    }

    private static func dropGuards(_ engine: any StoreEngine) async throws {
        try await engine.write { tx in
            switch engine.dialect {
            case .sqlite:
                try tx.executeScript("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete")
            case .postgres:
                try tx.executeScript("DROP TRIGGER audit_log_no_change ON audit_log")
            }
        }
    }
}
