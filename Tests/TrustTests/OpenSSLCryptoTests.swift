@testable import Trust
import XCTest

/// Known-answer tests of the primitives everything else rests on.
final class OpenSSLCryptoTests: XCTestCase {
    func testAESGCMMatchesTheGCMSpecificationTestCases() {
        // McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 13, 14 and 16 (AES-256).
        let cases: [(key: String, nonce: String, plaintext: String, associatedData: String, ciphertext: String, tag: String)] = [
            (String(repeating: "00", count: 32), String(repeating: "00", count: 12), "", "", "",
             "530f8afbc74536b9a963b4f1c4cb738b"),
            (String(repeating: "00", count: 32), String(repeating: "00", count: 12), String(repeating: "00", count: 16), "",
             "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"),
            ("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
             "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
             "feedfacedeadbeeffeedfacedeadbeefabaddad2",
             "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
             "76fc6ece0f4e1768cddf8853bb2d551b"),
        ]
        for vector in cases {
            let sealed = OpenSSLCrypto.aesGCMSeal(key: [UInt8](hex: vector.key), nonce: [UInt8](hex: vector.nonce),
                                                  plaintext: [UInt8](hex: vector.plaintext),
                                                  associatedData: [UInt8](hex: vector.associatedData))
            XCTAssertEqual(sealed.ciphertext, [UInt8](hex: vector.ciphertext))
            XCTAssertEqual(sealed.tag, [UInt8](hex: vector.tag))
            let opened = OpenSSLCrypto.aesGCMOpen(key: [UInt8](hex: vector.key), nonce: [UInt8](hex: vector.nonce),
                                                  ciphertext: sealed.ciphertext, tag: sealed.tag,
                                                  associatedData: [UInt8](hex: vector.associatedData))
            XCTAssertEqual(opened, [UInt8](hex: vector.plaintext))
        }
    }

    func testAESGCMOpenReturnsNothingWhenTheTagDoesNotMatch() {
        let key = [UInt8](repeating: 7, count: 32), nonce = [UInt8](repeating: 9, count: 12)
        let sealed = OpenSSLCrypto.aesGCMSeal(key: key, nonce: nonce, plaintext: Array("dose".utf8), associatedData: [1])
        var tag = sealed.tag
        tag[15] ^= 1
        XCTAssertNil(OpenSSLCrypto.aesGCMOpen(key: key, nonce: nonce, ciphertext: sealed.ciphertext, tag: tag, associatedData: [1]))
        XCTAssertNil(OpenSSLCrypto.aesGCMOpen(key: key, nonce: nonce, ciphertext: sealed.ciphertext, tag: sealed.tag, associatedData: [2]))
    }

    func testHKDFMatchesRFC5869() {
        // Test case 1 (salt and info), and test case 3 (neither), the form the blind index uses.
        XCTAssertEqual(OpenSSLCrypto.hkdfSHA256(key: [UInt8](repeating: 0x0b, count: 22), salt: Array(0x00 ... 0x0c),
                                                info: Array(0xf0 ... 0xf9), outputByteCount: 42),
                       [UInt8](hex: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"))
        XCTAssertEqual(OpenSSLCrypto.hkdfSHA256(key: [UInt8](repeating: 0x0b, count: 22), salt: [], info: [], outputByteCount: 42),
                       [UInt8](hex: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"))
    }

    func testScryptMatchesRFC7914() {
        // RFC 7914 §12, the first two vectors (N = 16 and N = 1024).
        XCTAssertEqual(OpenSSLCrypto.scrypt(password: [], salt: [], log2Cost: 4, blockSize: 1, parallelism: 1,
                                            maxMemoryBytes: 1 << 20, outputByteCount: 64),
                       [UInt8](hex: "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
                                   + "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"))
        XCTAssertEqual(OpenSSLCrypto.scrypt(password: Array("password".utf8), salt: Array("NaCl".utf8), log2Cost: 10,
                                            blockSize: 8, parallelism: 16, maxMemoryBytes: 1 << 24, outputByteCount: 64),
                       [UInt8](hex: "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
                                   + "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"))
    }

    func testScryptRefusesParametersNeedingMoreThanTheMemoryAllowed() {
        XCTAssertNil(OpenSSLCrypto.scrypt(password: [], salt: [], log2Cost: 10, blockSize: 8, parallelism: 1,
                                          maxMemoryBytes: 1 << 20, outputByteCount: 32))
    }
}
