import Foundation
import Glibc
import Trust
import XCTest

final class MasterKeyTests: XCTestCase {
    private var dataDirectory = ""
    private var keyPath: String { MasterKey.filePath(dataDirectory: dataDirectory) }

    override func setUpWithError() throws {
        dataDirectory = NSTemporaryDirectory() + "trust-tests-" + Hex.encode(SecureRandom.bytes(8))
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: false)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(atPath: dataDirectory)
    }

    private func permissions(_ path: String) throws -> mode_t {
        var status = stat()
        XCTAssertEqual(stat(path, &status), 0, path)
        return status.st_mode & 0o7777
    }

    /// Whether data keys wrapped under `a` unwrap under `b`: the two are the same key.
    private func sameKey(_ a: MasterKey, _ b: MasterKey) -> Bool {
        (try? KeyRing(master: b, wrappedKeys: [KeyRing.newDataKey(master: a, id: 1)], activeKeyID: 1)) != nil
    }

    func testInitCreatesAnOwnerOnlyKeyFileInAnOwnerOnlyDirectory() throws {
        let key = try MasterKey.createIfMissing(at: keyPath)
        XCTAssertEqual(keyPath, dataDirectory + "/keys/master.key")
        XCTAssertEqual(try permissions(keyPath), 0o600)
        XCTAssertEqual(try permissions(dataDirectory + "/keys"), 0o700)
        let text = try String(contentsOfFile: keyPath, encoding: .utf8)
        XCTAssertEqual(Data(base64Encoded: text.trimmingCharacters(in: .newlines))?.count, 32, text)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dataDirectory + "/keys"), ["master.key"],
                       "a temporary file was left behind")
        XCTAssertTrue(sameKey(key, try MasterKey.load(from: keyPath)))
        XCTAssertTrue(sameKey(key, try MasterKey(base64: text)), "the file's text works as MEDEXPRESS_MASTER_KEY")
    }

    func testASecondInitKeepsTheExistingKey() throws {
        let first = try MasterKey.createIfMissing(at: keyPath)
        let second = try MasterKey.createIfMissing(at: keyPath)
        XCTAssertTrue(sameKey(first, second))
        XCTAssertFalse(sameKey(first, try randomMasterKey()))
    }

    func testAKeyFileOthersCanReadIsRefused() throws {
        _ = try MasterKey.createIfMissing(at: keyPath)
        for mode: mode_t in [0o644, 0o640, 0o604, 0o620] {
            XCTAssertEqual(chmod(keyPath, mode), 0)
            XCTAssertThrowsError(try MasterKey.load(from: keyPath)) { error in
                XCTAssertEqual(error as? MasterKeyError, .permissionsTooOpen(path: keyPath, mode: UInt32(mode)))
                XCTAssertTrue("\(error)".contains("chmod 600 \(keyPath)"), "\(error)")
            }
            XCTAssertThrowsError(try MasterKey.createIfMissing(at: keyPath), "must not replace or read the key")
        }
        XCTAssertEqual(chmod(keyPath, 0o400), 0)
        XCTAssertNoThrow(try MasterKey.load(from: keyPath))
    }

    func testAMissingKeyFileSaysHowToCreateOne() {
        XCTAssertThrowsError(try MasterKey.load(from: keyPath)) { error in
            XCTAssertEqual(error as? MasterKeyError, .notFound(path: keyPath))
            XCTAssertTrue("\(error)".contains("medexpress init"), "\(error)")
            XCTAssertTrue("\(error)".contains(MasterKey.environmentVariable), "\(error)")
        }
    }

    func testADirectoryIsNotAKeyFile() throws {
        try FileManager.default.createDirectory(atPath: keyPath, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        XCTAssertThrowsError(try MasterKey.load(from: keyPath)) { error in
            XCTAssertEqual(error as? MasterKeyError, .notARegularFile(path: keyPath))
        }
    }

    func testAKeyFileThatIsNotAKeyIsRefused() throws {
        try FileManager.default.createDirectory(atPath: dataDirectory + "/keys", withIntermediateDirectories: false)
        for contents in ["not a key\n", Data(SecureRandom.bytes(16)).base64EncodedString(),
                         String(repeating: "A", count: 300)] {
            XCTAssertTrue(FileManager.default.createFile(atPath: keyPath, contents: Data(contents.utf8),
                                                        attributes: [.posixPermissions: 0o600]))
            XCTAssertThrowsError(try MasterKey.load(from: keyPath), contents) { error in
                guard case .malformed(let source, _) = error as? MasterKeyError else { return XCTFail("\(error)") }
                XCTAssertEqual(source, keyPath)
            }
        }
    }

    func testEnvironmentKeyMustBeTheBase64OfThirtyTwoBytes() throws {
        let bytes = SecureRandom.bytes(32)
        XCTAssertNoThrow(try MasterKey(base64: "  " + Data(bytes).base64EncodedString() + "\n"))
        for text in ["", "not base64!", Data(bytes.prefix(31)).base64EncodedString(), Data(bytes + [0]).base64EncodedString()] {
            XCTAssertThrowsError(try MasterKey(base64: text), text) { error in
                guard case .malformed(let source, _) = error as? MasterKeyError else { return XCTFail("\(error)") }
                XCTAssertEqual(source, MasterKey.environmentVariable)
                XCTAssertTrue("\(error)".contains("base64 of 32 random bytes"), "\(error)")
            }
        }
    }
}
