import XCTest
@testable import RPCCore

final class InboundMessageQueueTests: XCTestCase {
    private func framed(_ size: Int) -> [UInt8] {
        try! MessageFramer.frame([UInt8](repeating: 7, count: size), compressor: nil)
    }

    private func append(_ queue: inout InboundMessageQueue, _ bytes: ArraySlice<UInt8>) -> Int {
        try! Array(bytes).withUnsafeBytes { try queue.append($0) }
    }

    func testCompleteMessagesAreCreditedOnlyWhenTaken() {
        var queue = InboundMessageQueue(maxMessageBytes: 1024)
        let message = framed(100)
        XCTAssertEqual(append(&queue, message[...]), 0, "a complete message's credit waits for the reader")
        XCTAssertEqual(append(&queue, message[...]), 0)
        XCTAssertEqual(queue.take()?.credit, 105)
        XCTAssertEqual(queue.take()?.credit, 105)
        XCTAssertNil(queue.take())
    }

    func testAPartialMessageIsCreditedWhileTheReaderKeepsUp() {
        var queue = InboundMessageQueue(maxMessageBytes: 1 << 20)
        let big = framed(100_000)
        var credited = 0
        var offset = 0
        // Chunks of 16 KiB: the reader has taken everything, so the message may complete even
        // though it is larger than any window.
        while offset + 16_384 < big.count {
            credited += append(&queue, big[offset..<(offset + 16_384)])
            offset += 16_384
        }
        XCTAssertEqual(credited, offset, "every byte of the incomplete message was credited")
        credited += append(&queue, big[offset...])
        let taken = queue.take()
        XCTAssertEqual(taken?.message.payload.count, 100_000)
        XCTAssertEqual(credited + (taken?.credit ?? 0), big.count, "credit adds up to the bytes received, once")
    }

    func testAPartialMessageWaitsWhileACompleteOneIsUntaken() {
        var queue = InboundMessageQueue(maxMessageBytes: 1 << 20)
        let small = framed(10)
        let big = framed(50_000)
        XCTAssertEqual(append(&queue, small[...]), 0)
        XCTAssertEqual(append(&queue, big[..<20_000]), 0, "no credit while the reader is behind")
        // Taking the waiting message releases its credit and the partial one's.
        XCTAssertEqual(queue.take()?.credit, small.count + 20_000)
        XCTAssertEqual(append(&queue, big[20_000...]), 0)
        XCTAssertEqual(queue.take()?.credit, big.count - 20_000)
    }

    func testReleaseAllReturnsWhatIsHeld() {
        var queue = InboundMessageQueue(maxMessageBytes: 1 << 20)
        let message = framed(100)
        _ = append(&queue, message[...])
        _ = append(&queue, message[..<50])
        XCTAssertTrue(queue.hasPartialMessage)
        XCTAssertEqual(queue.releaseAll(), message.count + 50)
        XCTAssertFalse(queue.hasMessage)
    }

    func testAnOversizedPrefixFailsBeforeItsBodyArrives() {
        var queue = InboundMessageQueue(maxMessageBytes: 1000)
        let prefix: [UInt8] = [0, 0, 0, 0x10, 0]
        XCTAssertThrowsError(try prefix.withUnsafeBytes { try queue.append($0) }) { error in
            XCTAssertEqual(error as? FramingError, .messageTooLarge(declared: 4096, limit: 1000))
        }
        XCTAssertEqual(queue.releaseAll(), 5)
    }
}
