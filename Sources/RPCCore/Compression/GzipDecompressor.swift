import CZlib

/// Decompresses gzip (RFC 1952) messages for `grpc-encoding: gzip`, refusing to produce more
/// than a caller-given number of bytes so a small "zip bomb" cannot exhaust memory.
///
/// One zlib stream is reused across messages (reset before each). Not thread-safe: use each
/// instance from one thread at a time.
public final class GzipDecompressor {
    /// zlib keeps a pointer back to the `z_stream`, so it lives at a fixed heap address.
    private let stream: UnsafeMutablePointer<z_stream>
    /// inflate writes here; the bytes are then appended to the message, whose capacity is
    /// grown by hand so it never exceeds the caller's limit.
    private let scratch: UnsafeMutableBufferPointer<UInt8>

    private static let scratchBytes = 32 * 1024

    /// A decompressor for gzip data.
    public init() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        scratch = .allocate(capacity: Self.scratchBytes)
        // windowBits 15 + 16 accepts only the gzip wrapper.
        let result = medexpress_inflateInit2(stream, 15 + 16)
        precondition(result == Z_OK, "inflateInit2 failed (\(result)): out of memory")
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        scratch.deallocate()
    }

    /// The decompressed bytes of `input`, a gzip stream (concatenated members are accepted).
    /// Throws `CompressionError.outputTooLarge` as soon as the output would pass `maxOutputBytes`,
    /// having never held more than that, and `.corrupt` for anything that is not complete gzip data.
    public func decompress(_ input: [UInt8], maxOutputBytes: Int) throws -> [UInt8] {
        precondition(maxOutputBytes >= 0, "maxOutputBytes must not be negative")
        guard input.count <= Int(UInt32.max) else { throw CompressionError.inputTooLarge(input.count) }
        guard !input.isEmpty else { throw CompressionError.corrupt("empty input") }
        inflateReset(stream)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.next_out = nil
        }
        var output = [UInt8]()
        try input.withUnsafeBytes { inputBytes in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: inputBytes.baseAddress!.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(inputBytes.count)
            while true {
                stream.pointee.next_out = scratch.baseAddress
                stream.pointee.avail_out = uInt(scratch.count)
                let result = inflate(stream, Z_NO_FLUSH)
                let produced = scratch.count - Int(stream.pointee.avail_out)
                if produced > 0 {
                    guard produced <= maxOutputBytes - output.count else {
                        throw CompressionError.outputTooLarge(limit: maxOutputBytes)
                    }
                    if output.count + produced > output.capacity {
                        output.reserveCapacity(min(maxOutputBytes, max(output.count * 2, output.count + produced)))
                    }
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[..<produced]))
                }
                switch result {
                case Z_STREAM_END:
                    guard stream.pointee.avail_in > 0 else { return }
                    // Another gzip member follows (RFC 1952 §2.2).
                    inflateReset(stream)
                case Z_OK:
                    continue
                case Z_BUF_ERROR where stream.pointee.avail_in == 0:
                    throw CompressionError.corrupt("truncated input")
                case Z_BUF_ERROR:
                    continue
                default:
                    throw CompressionError.corrupt(errorMessage(result))
                }
            }
        }
        return output
    }

    private func errorMessage(_ result: Int32) -> String {
        if let message = stream.pointee.msg { return String(cString: message) }
        return "zlib error \(result)"
    }
}
