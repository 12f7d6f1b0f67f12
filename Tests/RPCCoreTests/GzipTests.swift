import Foundation
import XCTest
@testable import RPCCore

final class GzipTests: XCTestCase {
    func testRoundTripsMessagesOfManySizes() throws {
        let compressor = GzipCompressor()
        let decompressor = GzipDecompressor()
        var generator = SystemRandomNumberGenerator()
        for count in [0, 1, 2, 100, 4_095, 4_096, 4_097, 65_536, 1_000_003] {
            let random = (0 ..< count).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
            let repetitive = (0 ..< count).map { UInt8(truncatingIfNeeded: $0 % 7) }
            for input in [random, repetitive] {
                let compressed = try compressor.compress(input)
                XCTAssertEqual(Array(compressed.prefix(2)), [0x1F, 0x8B], "gzip magic")
                XCTAssertEqual(try decompressor.decompress(compressed, maxOutputBytes: count), input)
            }
        }
    }

    func testCompressorIsReusableAndDeterministic() throws {
        let compressor = GzipCompressor(level: 9)
        let input = Array(String(repeating: "amoxicillin 500mg ", count: 200).utf8)
        let first = try compressor.compress(input)
        let second = try compressor.compress(input)
        XCTAssertEqual(first, second)
        XCTAssertLessThan(first.count, input.count / 10)
    }

    func testCompressAppendsAfterExistingBytes() throws {
        var output: [UInt8] = [9, 9, 9]
        let input = Array("hello".utf8)
        try input.withUnsafeBytes { try GzipCompressor().compress($0, appendingTo: &output) }
        XCTAssertEqual(Array(output.prefix(3)), [9, 9, 9])
        XCTAssertEqual(try GzipDecompressor().decompress(Array(output.dropFirst(3)), maxOutputBytes: 5), input)
    }

    func testDecompressesWhatTheGzipToolMakes() throws {
        let input = Array(String(repeating: "Patient record 0042; dispense as written.\n", count: 500).utf8)
        let compressed = try runTool("/usr/bin/gzip", ["-c", "-9"], stdin: input)
        XCTAssertEqual(try GzipDecompressor().decompress(compressed, maxOutputBytes: input.count), input)
    }

    func testTheGzipToolDecompressesWhatWeMake() throws {
        var generator = SystemRandomNumberGenerator()
        let input = (0 ..< 100_000).map { _ in UInt8.random(in: 0 ... 15, using: &generator) }
        let compressed = try GzipCompressor().compress(input)
        XCTAssertEqual(try runTool("/usr/bin/gzip", ["-d", "-c"], stdin: compressed), input)
    }

    func testConcatenatedMembersDecompressToTheirConcatenation() throws {
        let compressor = GzipCompressor()
        let joined = try compressor.compress(Array("first ".utf8)) + compressor.compress(Array("second".utf8))
        XCTAssertEqual(try GzipDecompressor().decompress(joined, maxOutputBytes: 100), Array("first second".utf8))
    }

    func testZipBombIsRejectedAtTheLimit() throws {
        let bomb = try GzipCompressor(level: 9).compress([UInt8](repeating: 0, count: 50_000_000))
        XCTAssertLessThan(bomb.count, 100_000)
        XCTAssertThrowsError(try GzipDecompressor().decompress(bomb, maxOutputBytes: 4 * 1024 * 1024)) { error in
            XCTAssertEqual(error as? CompressionError, .outputTooLarge(limit: 4 * 1024 * 1024))
        }
    }

    func testOutputExactlyAtTheLimitIsAcceptedAndOneByteMoreIsNot() throws {
        let decompressor = GzipDecompressor()
        for count in [0, 1, 4_096, 8_193, 100_000] {
            let input = [UInt8](repeating: 7, count: count)
            let compressed = try GzipCompressor().compress(input)
            XCTAssertEqual(try decompressor.decompress(compressed, maxOutputBytes: count), input)
            if count > 0 {
                XCTAssertThrowsError(try decompressor.decompress(compressed, maxOutputBytes: count - 1)) { error in
                    XCTAssertEqual(error as? CompressionError, .outputTooLarge(limit: count - 1))
                }
            }
        }
    }

    func testCorruptDataIsRejected() throws {
        let decompressor = GzipDecompressor()
        let valid = try GzipCompressor().compress(Array(String(repeating: "x", count: 1_000).utf8))
        var flipped = valid
        flipped[flipped.count - 6] ^= 0xFF  // inside the CRC-32 trailer
        let zlibFormat = [UInt8]([0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])
        for bad in [[], [0x1F], Array(valid.dropLast(4)), Array(valid.prefix(valid.count / 2)), flipped, zlibFormat,
                    Array("not gzip at all".utf8), valid + [0x00]] {
            XCTAssertThrowsError(try decompressor.decompress(bad, maxOutputBytes: 10_000)) { error in
                guard case .corrupt = error as? CompressionError else {
                    return XCTFail("expected .corrupt, got \(error)")
                }
            }
        }
        // A failure leaves the decompressor usable.
        XCTAssertEqual(try decompressor.decompress(valid, maxOutputBytes: 1_000).count, 1_000)
    }

    private func runTool(_ path: String, _ arguments: [String], stdin: [UInt8]) throws -> [UInt8] {
        let inputURL = FileManager.default.temporaryDirectory.appendingPathComponent("gzip-input-\(UUID().uuidString)")
        try Data(stdin).write(to: inputURL)
        defer { try? FileManager.default.removeItem(at: inputURL) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardInput = try FileHandle(forReadingFrom: inputURL)
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let result = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        return Array(result)
    }
}
