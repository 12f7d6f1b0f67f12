import Generated
import RPCCore
import XCTest

/// Untrusted bytes are rejected with ProtoDecodingError, never a crash or a wrong value.
final class DecodingSafetyTests: XCTestCase {
    /// `failingType` is the (possibly nested) message whose field was invalid; the decoded type by default.
    private func assertRejected<Message: ProtoMessage>(_ bytes: [UInt8], as type: Message.Type, reason: String? = nil,
                                                       failingType: String? = nil,
                                                       file: StaticString = #filePath, line: UInt = #line) {
        do {
            let decoded = try Message(decoding: bytes)
            XCTFail("decoded \(decoded) from invalid bytes \(bytes)", file: file, line: line)
        } catch {
            XCTAssertEqual(error.messageName, failingType ?? Message.protoMessageName, file: file, line: line)
            if let reason { XCTAssertTrue(error.reason.contains(reason), "\(error.reason)", file: file, line: line) }
        }
    }

    func testInvalidUTF8IsRejected() {
        // Field 1 (id), 2 bytes that are not UTF-8.
        assertRejected([0x0a, 0x02, 0xff, 0xfe], as: Prescription.self, reason: "field id is not valid UTF-8")
        // A lone continuation byte, an overlong encoding and a UTF-16 surrogate.
        assertRejected([0x0a, 0x01, 0x80], as: Prescription.self)
        assertRejected([0x0a, 0x02, 0xc0, 0xaf], as: Prescription.self)
        assertRejected([0x0a, 0x03, 0xed, 0xa0, 0x80], as: Prescription.self)
    }

    func testInvalidUTF8IsRejectedInsideNestedRepeatedMapAndOneofFields() {
        // primary (2) { name (1): 0xff }
        assertRejected([0x12, 0x03, 0x0a, 0x01, 0xff], as: Prescription.self, reason: "field name",
                       failingType: "medexpress.testing.v1.Prescription.Item")
        // labels (9) { key (1): "k", value (2): 0xff }
        assertRejected([0x4a, 0x06, 0x0a, 0x01, 0x6b, 0x12, 0x01, 0xff], as: Prescription.self, reason: "field value")
        // locker_code (5): 0xff
        assertRejected([0x2a, 0x01, 0xff], as: Prescription.self, reason: "field locker_code")
        // repeated (18) { r_string (14): 0xff }
        assertRejected([0x92, 0x01, 0x03, 0x72, 0x01, 0xff], as: Prescription.self, reason: "field r_string",
                       failingType: "medexpress.testing.v1.Repeated")
    }

    func testEveryTruncationOfAValidMessageIsRejectedOrDecodesAPrefix() {
        let bytes = Fixtures.prescription.encoded()
        var rejected = 0
        for length in 0..<bytes.count {
            if (try? Prescription(decoding: Array(bytes[0..<length]))) == nil { rejected += 1 }
        }
        // Cutting inside the first length-delimited field's payload can never decode.
        XCTAssertGreaterThan(rejected, bytes.count / 2)
        assertRejected(Array(bytes.dropLast()), as: Prescription.self)
    }

    func testMalformedWireDataIsRejected() {
        assertRejected([0x0a, 0x05, 0x61], as: Prescription.self)                    // length past the end
        assertRejected([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f], as: Prescription.self)  // 4 GiB length
        assertRejected([0x78, 0x80, 0x80, 0x80], as: Prescription.self)              // unterminated varint
        assertRejected([0x7f], as: Prescription.self)                                // wire type 7
        assertRejected([0x00, 0x00], as: Prescription.self)                          // field number 0
        assertRejected([0x5d, 0x01, 0x02], as: Medexpress_Testing_V1_Scalars.self)   // truncated fixed32
    }

    func testRandomBytesNeverCrash() {
        var generator = SplitMix64(seed: 0x5eed)
        for _ in 0..<5_000 {
            let count = Int(generator.next() % 64)
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            _ = try? Prescription(decoding: bytes)
            _ = try? Grpc_Testing_SimpleRequest(decoding: bytes)
            _ = try? Grpc_Reflection_V1_ServerReflectionRequest(decoding: bytes)
        }
    }

    func testUnknownFieldsAreSkipped() throws {
        // Field 1000 (varint 5), then id (1) "x".
        let decoded = try Prescription(decoding: [0xc0, 0x3e, 0x05, 0x0a, 0x01, 0x78])
        XCTAssertEqual(decoded.id, "x")
    }
}

/// A small deterministic generator, so a failing input can be reproduced.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
