import Foundation
import MedExpress
import Store
import Trust
import XCTest

/// The vault keeps data keys in the database, wrapped by a master key kept outside it; rotation
/// introduces a new key and re-seals what the old one sealed, which keeps opening meanwhile.
final class VaultTests: XCTestCase {
    private let master = try! MasterKey(base64: Array(repeating: "A", count: 43).joined() + "=")
    private let notes = EncryptedColumn(table: "test_notes", keyColumn: "id", column: "body")

    private func createNotes(_ engine: any StoreEngine) async throws {
        let blob = engine.dialect == .postgres ? "BYTEA" : "BLOB"
        try await engine.write { tx in try tx.executeScript("CREATE TABLE test_notes (id TEXT PRIMARY KEY, body \(blob))") }
    }

    private func insertNote(_ id: String, _ text: String, vault: Vault, engine: any StoreEngine) async throws {
        let sealed = vault.cipher.seal(text, context: FieldContext(table: "test_notes", column: "body", row: id))
        try await engine.write { tx in try tx.execute("INSERT INTO test_notes (id, body) VALUES ($1, $2)", [.text(id), .blob(sealed)]) }
    }

    private func readNote(_ id: String, vault: Vault, engine: any StoreEngine) async throws -> String {
        let sealed = try await engine.read { tx in try tx.query("SELECT body FROM test_notes WHERE id = $1", [.text(id)]).first!.bytes("body") }
        return try vault.cipher.openString(sealed, context: FieldContext(table: "test_notes", column: "body", row: id))
    }

    func testTheFirstOpenCreatesOneDataKeyAndLaterOpensReuseIt() async throws {
        try await TestDatabases.each { engine, name in
            let first = try await Vault.open(master: master, store: engine)
            let second = try await Vault.open(master: master, store: engine)
            XCTAssertEqual(first.cipher.keyRing.activeKeyID, 1, name)
            XCTAssertEqual(second.cipher.keyRing.activeKeyID, 1, name)
            let keys = try await engine.read { tx in try tx.query("SELECT COUNT(*) AS n FROM data_keys").first!.int64("n") }
            XCTAssertEqual(keys, 1, name)
            let context = FieldContext(table: "t", column: "c", row: "r")
            XCTAssertEqual(try second.cipher.openString(first.cipher.seal("asthma", context: context), context: context), "asthma", name)
            let audit = try await AuditLog.verify(engine)
            XCTAssertEqual(audit, .intact(entries: 1), "\(name): the key's creation is audited")
        }
    }

    func testAWrongMasterKeyFailsClearly() async throws {
        try await TestDatabases.each { engine, name in
            _ = try await Vault.open(master: master, store: engine)
            let other = try MasterKey(base64: Array(repeating: "B", count: 42).joined() + "A=")
            do {
                _ = try await Vault.open(master: other, store: engine)
                XCTFail("\(name): a wrong master key opened the vault")
            } catch {
                XCTAssertTrue("\(error)".contains("master key"), "\(name): \(error)")
            }
        }
    }

    func testRotationResealsEveryValueAndOldCiphertextKeepsOpeningUntilThen() async throws {
        try await TestDatabases.each { engine, name in
            try await createNotes(engine)
            let before = try await Vault.open(master: master, store: engine)
            for number in 0..<1203 {
                try await insertNote(String(format: "note_%05d", number), "medical history \(number)", vault: before, engine: engine)
            }
            let rotated = try await Vault.rotate(master: master, store: engine, columns: [notes])
            XCTAssertEqual(rotated, 2, name)
            let after = try await Vault.open(master: master, store: engine)
            XCTAssertEqual(after.cipher.keyRing.activeKeyID, 2, name)
            let sealed = try await engine.read { tx in try tx.query("SELECT body FROM test_notes").map { try $0.bytes("body") } }
            XCTAssertEqual(sealed.count, 1203, name)
            XCTAssertFalse(sealed.contains { after.cipher.needsReencryption($0) }, "\(name): a value is still under key 1")
            let note = try await readNote("note_01202", vault: after, engine: engine)
            XCTAssertEqual(note, "medical history 1202", name)
            // A value sealed under key 1 by an instance that had not reloaded still opens.
            let context = FieldContext(table: "t", column: "c", row: "r")
            XCTAssertEqual(try after.cipher.openString(before.cipher.seal("late", context: context), context: context), "late", name)
        }
    }

    func testSealedValuesAreNotInTheDatabaseInClear() async throws {
        try await TestDatabases.each { engine, name in
            try await createNotes(engine)
            let vault = try await Vault.open(master: master, store: engine)
            let secret = "history of angina, takes nitrates"
            try await insertNote("note_1", secret, vault: vault, engine: engine)
            let stored = try await engine.read { tx in try tx.query("SELECT body FROM test_notes").first!.bytes("body") }
            XCTAssertNil(stored.firstRange(of: Array("angina".utf8)), "\(name): the plaintext is in the row")
            if let sqlite = engine as? SQLiteEngine {
                await sqlite.close()
                var file = [UInt8](try Data(contentsOf: URL(fileURLWithPath: sqlite.path)))
                if let wal = try? Data(contentsOf: URL(fileURLWithPath: sqlite.path + "-wal")) { file += [UInt8](wal) }
                XCTAssertGreaterThan(file.count, 0)
                XCTAssertNil(file.firstRange(of: Array("angina".utf8)), "the plaintext is in the SQLite file")
            }
        }
    }
}
