import Trust
import XCTest

final class FieldCipherTests: XCTestCase {
    private let answer = FieldContext(table: "consultation_answers", column: "answer", row: "con_0123")
    private let medicalHistory = "Takes isosorbide mononitrate 20 mg twice daily"

    private func makeCipher(ids: [UInt32] = [1]) throws -> FieldCipher {
        FieldCipher(keyRing: try makeKeyRing(master: try randomMasterKey(), ids: ids).ring)
    }

    func testSealedFieldOpensInItsOwnPlace() throws {
        let cipher = try makeCipher()
        XCTAssertEqual(try cipher.openString(cipher.seal(medicalHistory, context: answer), context: answer), medicalHistory)
        XCTAssertEqual(try cipher.open(cipher.seal([], context: answer), context: answer), [])
        let photo = SecureRandom.bytes(100_000)
        XCTAssertEqual(try cipher.open(cipher.seal(photo, context: answer), context: answer), photo)
    }

    func testSealedFormatIsVersionKeyIDNonceCiphertextAndTag() throws {
        let cipher = try makeCipher(ids: [7, 0x0102_0304])
        let plaintext = Array(medicalHistory.utf8)
        let sealed = cipher.seal(plaintext, context: answer)
        XCTAssertEqual(sealed[0], 1, "format version")
        XCTAssertEqual(Array(sealed[1 ..< 5]), [1, 2, 3, 4], "active key id, big-endian")
        XCTAssertEqual(sealed.count, 1 + 4 + 12 + plaintext.count + 16)
        XCTAssertNil(sealed.firstRange(of: plaintext), "the plaintext shows through")
        let again = cipher.seal(plaintext, context: answer)
        XCTAssertNotEqual(Array(sealed[5 ..< 17]), Array(again[5 ..< 17]), "a nonce was reused")
        XCTAssertNotEqual(sealed, again)
    }

    func testChangingAnyPartOfASealedValueFailsToOpen() throws {
        let cipher = try makeCipher(ids: [1, 2])
        let sealed = cipher.seal(medicalHistory, context: answer)
        func flipped(at index: Int, by mask: UInt8 = 0x01) -> [UInt8] {
            var copy = sealed
            copy[index] ^= mask
            return copy
        }
        XCTAssertThrowsError(try cipher.open(flipped(at: 0), context: answer)) { error in
            XCTAssertEqual(error as? FieldCipherError, .unsupportedVersion(0))
        }
        // Key id 2 → 3: no such key.
        XCTAssertThrowsError(try cipher.open(flipped(at: 4), context: answer)) { error in
            XCTAssertEqual(error as? FieldCipherError, .unknownDataKey(id: 3))
        }
        // Key id 2 → 1: a key the ring holds, but not the one that sealed the value.
        XCTAssertThrowsError(try cipher.open(flipped(at: 4, by: 0x03), context: answer)) { error in
            XCTAssertEqual(error as? FieldCipherError, .authenticationFailed(answer))
        }
        for (part, index) in [("nonce", 5), ("nonce", 16), ("ciphertext", 17), ("ciphertext", sealed.count - 17),
                              ("tag", sealed.count - 16), ("tag", sealed.count - 1)] {
            XCTAssertThrowsError(try cipher.open(flipped(at: index), context: answer), part) { error in
                XCTAssertEqual(error as? FieldCipherError, .authenticationFailed(answer), part)
            }
        }
    }

    func testCiphertextMovedToAnotherRowColumnOrTableFailsToOpen() throws {
        let cipher = try makeCipher()
        let sealed = cipher.seal(medicalHistory, context: answer)
        for elsewhere in [FieldContext(table: "consultation_answers", column: "answer", row: "con_0124"),
                          FieldContext(table: "consultation_answers", column: "note", row: "con_0123"),
                          FieldContext(table: "tickets", column: "answer", row: "con_0123"),
                          // The same characters split differently: the parts are length-prefixed.
                          FieldContext(table: "consultation_answer", column: "sanswer", row: "con_0123")] {
            XCTAssertThrowsError(try cipher.open(sealed, context: elsewhere)) { error in
                XCTAssertEqual(error as? FieldCipherError, .authenticationFailed(elsewhere))
                XCTAssertTrue("\(error)".contains("belongs to another field or row"), "\(error)")
            }
        }
    }

    func testTruncatedOrOversizedValuesAreRefused() throws {
        let cipher = try makeCipher()
        let sealed = cipher.seal(medicalHistory, context: answer)
        for count in [0, 1, 5, 32] {
            XCTAssertThrowsError(try cipher.open(Array(sealed.prefix(count)), context: answer)) { error in
                XCTAssertEqual(error as? FieldCipherError, .truncated(byteCount: count))
            }
        }
        XCTAssertThrowsError(try cipher.open(Array(sealed.dropLast()), context: answer)) { error in
            XCTAssertEqual(error as? FieldCipherError, .authenticationFailed(answer))
        }
        let oversized = [UInt8](repeating: 1, count: FieldCipher.maxPlaintextBytes + 34)
        XCTAssertThrowsError(try cipher.open(oversized, context: answer)) { error in
            XCTAssertEqual(error as? FieldCipherError, .tooLarge(byteCount: oversized.count))
        }
    }

    func testBytesThatAreNotTextDoNotOpenAsAString() throws {
        let cipher = try makeCipher()
        let sealed = cipher.seal([0xC3, 0x28], context: answer)
        XCTAssertThrowsError(try cipher.openString(sealed, context: answer)) { error in
            XCTAssertEqual(error as? FieldCipherError, .notText(answer))
        }
    }

    func testRotationKeepsOldValuesOpenAndSealsNewOnesUnderTheNewKey() throws {
        let master = try randomMasterKey()
        let first = KeyRing.newDataKey(master: master, id: 1)
        let before = FieldCipher(keyRing: try KeyRing(master: master, wrappedKeys: [first], activeKeyID: 1))
        let old = before.seal(medicalHistory, context: answer)
        XCTAssertFalse(before.needsReencryption(old))

        // `medexpress keys rotate`: a new key, made active; the old one stays until rows are re-sealed.
        let second = KeyRing.newDataKey(master: master, id: 2)
        let after = FieldCipher(keyRing: try KeyRing(master: master, wrappedKeys: [first, second], activeKeyID: 2))
        XCTAssertEqual(try after.openString(old, context: answer), medicalHistory)
        XCTAssertTrue(after.needsReencryption(old))
        let resealed = after.seal(try after.open(old, context: answer), context: answer)
        XCTAssertEqual(Array(resealed[1 ..< 5]), [0, 0, 0, 2])
        XCTAssertFalse(after.needsReencryption(resealed))
        XCTAssertTrue(after.needsReencryption([1, 0]), "a value too short to name a key is left to open() to report")

        // Once every row is re-sealed, the old key can go; values still under it then fail clearly.
        let retired = FieldCipher(keyRing: try KeyRing(master: master, wrappedKeys: [second], activeKeyID: 2))
        XCTAssertEqual(try retired.openString(resealed, context: answer), medicalHistory)
        XCTAssertThrowsError(try retired.open(old, context: answer)) { error in
            XCTAssertEqual(error as? FieldCipherError, .unknownDataKey(id: 1))
            XCTAssertTrue("\(error)".contains("data key 1"), "\(error)")
        }
    }
}
