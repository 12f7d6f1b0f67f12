import Generated
import RPCCore
import XCTest

/// libprotobuf-c unpacks nested messages recursively with no limit of its own: decoding a type
/// that can nest (Prescription.replaces is a Prescription) checks the depth first.
final class NestingDepthTests: XCTestCase {
    /// A Prescription whose `replaces` (field 19) is nested `levels` times below the top. The
    /// innermost one is empty, so the bytes are just the prefixes, outermost first.
    private func nested(levels: Int) -> [UInt8] {
        func varint(_ value: Int) -> [UInt8] {
            var value = value
            var bytes: [UInt8] = []
            repeat {
                bytes.append(UInt8(value & 0x7F) | (value > 0x7F ? 0x80 : 0))
                value >>= 7
            } while value > 0
            return bytes
        }
        // innerSizes[k]: the size of the message nested k levels above the innermost.
        var innerSizes = [0]
        for _ in 0..<levels { innerSizes.append(2 + varint(innerSizes.last!).count + innerSizes.last!) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(innerSizes.last!)
        for k in stride(from: levels - 1, through: 0, by: -1) {
            bytes.append(contentsOf: [0x9A, 0x01])  // field 19, length-delimited
            bytes.append(contentsOf: varint(innerSizes[k]))
        }
        return bytes
    }

    private func depth(of prescription: Medexpress_Testing_V1_Prescription) -> Int {
        var depth = 1
        var current = prescription
        while let next = current.replaces {
            depth += 1
            current = next
        }
        return depth
    }

    func testNestingUpToTheLimitDecodes() throws {
        let limit = ProtobufCCoding.maxNestingDepth
        let decoded = try Medexpress_Testing_V1_Prescription(decoding: nested(levels: limit - 1))
        XCTAssertEqual(depth(of: decoded), limit)
    }

    func testNestingPastTheLimitIsRefused() {
        XCTAssertThrowsError(try Medexpress_Testing_V1_Prescription(decoding: nested(levels: ProtobufCCoding.maxNestingDepth))) { error in
            XCTAssertTrue("\(error)".contains("nest deeper than"), "\(error)")
        }
    }

    func testAHostileDepthFailsWithoutExhaustingTheStack() {
        // 200,000 levels in about 800 KB: well within the message size limit.
        XCTAssertThrowsError(try Medexpress_Testing_V1_Prescription(decoding: nested(levels: 200_000)))
    }
}
