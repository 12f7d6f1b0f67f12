import XCTest
@testable import RPCCore

final class MessageFramingTests: XCTestCase {
    func testFramePrefixesFlagAndBigEndianLength() throws {
        let framed = try MessageFramer.frame(Array(0 ..< 200), compressor: nil)
        XCTAssertEqual(Array(framed.prefix(5)), [0, 0, 0, 0, 200])
        XCTAssertEqual(Array(framed.dropFirst(5)), Array(0 ..< 200))
        XCTAssertEqual(try MessageFramer.frame([], compressor: nil), [0, 0, 0, 0, 0])
        let large = [UInt8](repeating: 1, count: 0x01_02_03)
        XCTAssertEqual(Array(try MessageFramer.frame(large, compressor: nil).prefix(5)), [0, 0, 1, 2, 3])
    }

    func testCompressedFrameCarriesFlagOneAndGzipPayload() throws {
        let message = Array(String(repeating: "ibuprofen ", count: 100).utf8)
        let framed = try MessageFramer.frame(message, compressor: GzipCompressor())
        XCTAssertEqual(framed[0], 1)
        let length = Int(framed[1]) << 24 | Int(framed[2]) << 16 | Int(framed[3]) << 8 | Int(framed[4])
        XCTAssertEqual(length, framed.count - 5)
        XCTAssertLessThan(length, message.count)
        XCTAssertEqual(try GzipDecompressor().decompress(Array(framed.dropFirst(5)), maxOutputBytes: 10_000), message)
    }

    func testFrameAppendsAfterExistingBytes() throws {
        var buffer: [UInt8] = [0xAA]
        try MessageFramer.frame([1, 2], compressor: nil, appendingTo: &buffer)
        try MessageFramer.frame([3], compressor: GzipCompressor(), appendingTo: &buffer)
        var deframer = MessageDeframer(maxMessageBytes: 100)
        buffer.dropFirst().withUnsafeBytes { deframer.append($0) }
        XCTAssertEqual(try deframer.next(), FramedMessage(compressed: false, payload: [1, 2]))
        let second = try XCTUnwrap(try deframer.next())
        XCTAssertTrue(second.compressed)
        XCTAssertEqual(try GzipDecompressor().decompress(second.payload, maxOutputBytes: 1), [3])
        XCTAssertNil(try deframer.next())
        XCTAssertEqual(buffer[0], 0xAA)
    }

    func testEverySplitPointOfSeveralMessagesDeframesTheSame() throws {
        let messages: [FramedMessage] = [
            FramedMessage(compressed: false, payload: Array("first".utf8)),
            FramedMessage(compressed: false, payload: []),
            FramedMessage(compressed: true, payload: [0x1F, 0x8B, 0, 1, 2]),
            FramedMessage(compressed: false, payload: Array(0 ..< 255)),
            FramedMessage(compressed: false, payload: [42]),
        ]
        let wire = encode(messages)
        for first in 0 ... wire.count {
            XCTAssertEqual(try deframe([Array(wire[..<first]), Array(wire[first...])]), messages, "split at \(first)")
        }
        for first in stride(from: 0, through: wire.count, by: 7) {
            for second in first ... wire.count {
                let pieces = [Array(wire[..<first]), Array(wire[first ..< second]), Array(wire[second...])]
                XCTAssertEqual(try deframe(pieces), messages, "split at \(first) and \(second)")
            }
        }
        XCTAssertEqual(try deframe(wire.map { [$0] }), messages, "one byte at a time")
    }

    func testByteCountsTrackPartialMessages() throws {
        var deframer = MessageDeframer(maxMessageBytes: 100)
        XCTAssertFalse(deframer.hasPartialMessage)
        let wire = encode([FramedMessage(compressed: false, payload: [1, 2, 3]),
                           FramedMessage(compressed: false, payload: [4, 5, 6, 7])])
        wire[..<10].withUnsafeBytes { deframer.append($0) }
        XCTAssertEqual(deframer.bufferedBytes, 10)
        XCTAssertFalse(deframer.hasPartialMessage, "a complete message is waiting at the head")
        XCTAssertEqual(try deframer.next()?.payload, [1, 2, 3])
        XCTAssertNil(try deframer.next())
        XCTAssertTrue(deframer.hasPartialMessage)
        XCTAssertEqual(deframer.bufferedBytes, 2)
        XCTAssertEqual(deframer.partialMessageBytesBuffered, 2)
        XCTAssertThrowsError(try deframer.finish()) { XCTAssertEqual($0 as? FramingError, .truncated) }
        wire[10...].withUnsafeBytes { deframer.append($0) }
        let message = try XCTUnwrap(try deframer.next())
        XCTAssertEqual(message.payload, [4, 5, 6, 7])
        XCTAssertEqual(message.wireBytes, 9)
        XCTAssertEqual(deframer.bufferedBytes, 0)
        XCTAssertEqual(deframer.partialMessageBytesBuffered, 0)
        XCTAssertNoThrow(try deframer.finish())
    }

    func testTooLargeMessageIsRefusedBeforeItsBodyIsBuffered() throws {
        var deframer = MessageDeframer(maxMessageBytes: 1_000)
        var wire = encode([FramedMessage(compressed: false, payload: [1])])
        wire += [0, 0, 0, 0x03, 0xE9]  // declares 1001 bytes
        wire += [UInt8](repeating: 9, count: 600)
        wire.withUnsafeBytes { deframer.append($0) }
        XCTAssertEqual(deframer.bufferedBytes, 6 + 5, "the oversized body is not stored")
        XCTAssertEqual(try deframer.next()?.payload, [1], "messages before the bad one are delivered")
        XCTAssertThrowsError(try deframer.next()) { error in
            XCTAssertEqual(error as? FramingError, .messageTooLarge(declared: 1_001, limit: 1_000))
        }
        [UInt8](repeating: 9, count: 600).withUnsafeBytes { deframer.append($0) }
        XCTAssertEqual(deframer.bufferedBytes, 5, "nothing is stored after a refused prefix")
        XCTAssertThrowsError(try deframer.next())
    }

    func testTooLargeMessageIsRefusedFromItsPrefixAlone() throws {
        var deframer = MessageDeframer(maxMessageBytes: 4 * 1024 * 1024)
        ([0, 0xFF, 0xFF, 0xFF] as [UInt8]).withUnsafeBytes { deframer.append($0) }
        XCTAssertNil(try deframer.next())
        ([0xFF] as [UInt8]).withUnsafeBytes { deframer.append($0) }
        XCTAssertThrowsError(try deframer.next()) { error in
            XCTAssertEqual(error as? FramingError, .messageTooLarge(declared: Int(UInt32.max), limit: 4 * 1024 * 1024))
        }
    }

    func testMessageExactlyAtTheLimitIsAccepted() throws {
        XCTAssertEqual(try deframe([encode([FramedMessage(compressed: false, payload: [1, 2, 3])])], limit: 3).count, 1)
        XCTAssertEqual(try deframe([encode([FramedMessage(compressed: false, payload: [])])], limit: 0).count, 1)
    }

    func testInvalidCompressionFlagIsRejected() throws {
        var deframer = MessageDeframer(maxMessageBytes: 100)
        ([2, 0, 0, 0, 1, 7] as [UInt8]).withUnsafeBytes { deframer.append($0) }
        XCTAssertThrowsError(try deframer.next()) { error in
            XCTAssertEqual(error as? FramingError, .invalidCompressionFlag(2))
        }
        XCTAssertThrowsError(try deframer.next(), "the error is sticky")
    }

    func testManySmallMessagesInOneAppendAreLinear() throws {
        let count = 200_000
        var wire = [UInt8]()
        wire.reserveCapacity(count * 6)
        for index in 0 ..< count {
            try MessageFramer.frame([UInt8(truncatingIfNeeded: index)], compressor: nil, appendingTo: &wire)
        }
        var deframer = MessageDeframer(maxMessageBytes: 16)
        let start = ContinuousClock.now
        // The last message is split so a partial stays behind after the bulk.
        wire.dropLast(3).withUnsafeBytes { deframer.append($0) }
        var received = 0
        while let message = try deframer.next() {
            XCTAssertEqual(message.payload, [UInt8(truncatingIfNeeded: received)])
            received += 1
        }
        XCTAssertEqual(received, count - 1)
        wire.suffix(3).withUnsafeBytes { deframer.append($0) }
        XCTAssertNotNil(try deframer.next())
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(5), "quadratic copying would take far longer")
    }

    private func encode(_ messages: [FramedMessage]) -> [UInt8] {
        var wire = [UInt8]()
        for message in messages {
            let length = UInt32(message.payload.count)
            wire += [message.compressed ? 1 : 0, UInt8(length >> 24), UInt8(length >> 16 & 0xFF),
                     UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            wire += message.payload
        }
        return wire
    }

    private func deframe(_ pieces: [[UInt8]], limit: Int = 1_000) throws -> [FramedMessage] {
        var deframer = MessageDeframer(maxMessageBytes: limit)
        var messages: [FramedMessage] = []
        for piece in pieces {
            piece.withUnsafeBytes { deframer.append($0) }
            while let message = try deframer.next() { messages.append(message) }
        }
        try deframer.finish()
        XCTAssertEqual(deframer.bufferedBytes, 0)
        return messages
    }
}
