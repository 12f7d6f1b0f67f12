import CZlib

/// Compresses messages in gzip format (RFC 1952) for `grpc-encoding: gzip`.
///
/// One zlib stream is reused across messages (reset before each), so keep a compressor per
/// connection or stream. Not thread-safe: use each instance from one thread at a time.
public final class GzipCompressor {
    /// The zlib compression level, 0 (none) to 9 (smallest).
    public let level: Int32
    /// zlib keeps a pointer back to the `z_stream`, so it lives at a fixed heap address.
    private let stream: UnsafeMutablePointer<z_stream>

    /// A compressor at the given zlib level (default 6, zlib's usual trade-off).
    public init(level: Int32 = 6) {
        precondition((0 ... 9).contains(level), "gzip level must be 0...9")
        self.level = level
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // windowBits 15 + 16 selects the gzip wrapper instead of zlib's.
        let result = medexpress_deflateInit2(stream, level, 15 + 16)
        precondition(result == Z_OK, "deflateInit2 failed (\(result)): out of memory")
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// The gzip form of `input`.
    public func compress(_ input: [UInt8]) throws -> [UInt8] {
        try input.withUnsafeBytes { try compress($0) }
    }

    /// Appends the gzip form of `input` to `output`; on error `output` is left as it was.
    public func compress(_ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) throws {
        output.append(contentsOf: try compress(input))
    }

    /// The gzip form of `input`.
    public func compress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        guard input.count <= Int(UInt32.max) else { throw CompressionError.inputTooLarge(input.count) }
        deflateReset(stream)
        // deflateBound covers the gzip header and trailer, so one Z_FINISH call always completes.
        let bound = Int(deflateBound(stream, uLong(input.count)))
        var result: Int32 = Z_OK
        let output = [UInt8](unsafeUninitializedCapacity: bound) { out, initialized in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(input.count)
            stream.pointee.next_out = out.baseAddress
            stream.pointee.avail_out = uInt(bound)
            result = deflate(stream, Z_FINISH)
            initialized = result == Z_STREAM_END ? bound - Int(stream.pointee.avail_out) : 0
            stream.pointee.next_in = nil
            stream.pointee.next_out = nil
        }
        guard result == Z_STREAM_END else { throw CompressionError.compressionFailed(result) }
        return output
    }
}
