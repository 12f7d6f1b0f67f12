import Foundation
import Trust
import XCTest

final class KeyRingTests: XCTestCase {
    func testDataKeysWrappedUnderAnotherMasterKeyFailWithAClearError() throws {
        let wrapped = KeyRing.newDataKey(master: try randomMasterKey(), id: 1)
        XCTAssertThrowsError(try KeyRing(master: try randomMasterKey(), wrappedKeys: [wrapped], activeKeyID: 1)) { error in
            XCTAssertEqual(error as? KeyRingError, .masterKeyMismatch(keyID: 1))
            XCTAssertTrue("\(error)".contains("the master key is not the one the data keys were wrapped with"), "\(error)")
        }
    }

    func testAWrappedKeyStoredUnderAnotherIDFailsToUnwrap() throws {
        let master = try randomMasterKey()
        let wrapped = KeyRing.newDataKey(master: master, id: 1)
        let relabelled = WrappedDataKey(id: 2, wrapped: wrapped.wrapped)
        XCTAssertThrowsError(try KeyRing(master: master, wrappedKeys: [relabelled], activeKeyID: 2)) { error in
            XCTAssertEqual(error as? KeyRingError, .masterKeyMismatch(keyID: 2))
        }
    }

    func testAlteredWrappedKeysAreRefused() throws {
        let master = try randomMasterKey()
        let wrapped = KeyRing.newDataKey(master: master, id: 1)
        XCTAssertEqual(wrapped.wrapped.count, 1 + 12 + 32 + 16)
        for index in [1, 13, 44, 60] {
            var bytes = wrapped.wrapped
            bytes[index] ^= 0x01
            XCTAssertThrowsError(try KeyRing(master: master, wrappedKeys: [WrappedDataKey(id: 1, wrapped: bytes)],
                                             activeKeyID: 1)) { error in
                XCTAssertEqual(error as? KeyRingError, .masterKeyMismatch(keyID: 1), "byte \(index)")
            }
        }
        var otherVersion = wrapped.wrapped
        otherVersion[0] = 2
        for bytes in [Array(wrapped.wrapped.dropLast()), otherVersion] {
            XCTAssertThrowsError(try KeyRing(master: master, wrappedKeys: [WrappedDataKey(id: 1, wrapped: bytes)],
                                             activeKeyID: 1)) { error in
                XCTAssertEqual(error as? KeyRingError, .malformedWrappedKey(keyID: 1, byteCount: bytes.count))
            }
        }
    }

    func testTheActiveKeyMustBeStoredAndIDsUnique() throws {
        let master = try randomMasterKey()
        let one = KeyRing.newDataKey(master: master, id: 1)
        XCTAssertThrowsError(try KeyRing(master: master, wrappedKeys: [one], activeKeyID: 2)) { error in
            XCTAssertEqual(error as? KeyRingError, .activeKeyMissing(2))
        }
        XCTAssertThrowsError(try KeyRing(master: master, wrappedKeys: [one, KeyRing.newDataKey(master: master, id: 1)],
                                         activeKeyID: 1)) { error in
            XCTAssertEqual(error as? KeyRingError, .duplicateKeyID(1))
        }
    }

    func testKeysNeverAppearWhenPrinted() throws {
        let keyBytes = SecureRandom.bytes(MasterKey.byteCount)
        let master = try MasterKey(base64: Data(keyBytes).base64EncodedString())
        let ring = try makeKeyRing(master: master, ids: [1]).ring
        for printed in [String(describing: master), String(reflecting: master), String(describing: ring),
                        String(describing: FieldCipher(keyRing: ring)), String(describing: BlindIndex(master: master))] {
            XCTAssertTrue(printed.contains("<32 secret bytes>"), printed)
            XCTAssertFalse(printed.contains(keyBytes.map(String.init).joined(separator: ", ")), printed)
        }
        var dumped = ""
        dump(master, to: &dumped)
        XCTAssertTrue(dumped.contains("- secret: <32 secret bytes>"), dumped)
        XCTAssertEqual(dumped.split(separator: "\n").count, 2, "the key's bytes were dumped: \(dumped)")
    }
}
