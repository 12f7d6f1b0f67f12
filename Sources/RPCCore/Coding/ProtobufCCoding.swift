import CProtobufC
import Glibc

/// The libprotobuf-c calls and C-to-Swift conversions that generated message code is built from.
/// Generated code is the only intended caller; application code uses `ProtoMessage`.
public enum ProtobufCCoding {
    /// Unpacks `bytes` with the message type `descriptor` describes, hands the unpacked C struct to
    /// `convert`, and frees it. Bytes that are not a valid message of that type are an error, never a
    /// crash: libprotobuf-c checks every length and tag against the buffer.
    // Never inlined: in an async caller the temporary block would come from the task's
    // allocator (heap slabs) instead of the thread's stack.
    @inline(never)
    public static func decode<CMessage, Value>(
        _ bytes: UnsafeRawBufferPointer,
        descriptor: UnsafePointer<ProtobufCMessageDescriptor>,
        as type: CMessage.Type,
        messageName: String,
        _ convert: (UnsafePointer<CMessage>) throws(ProtoDecodingError) -> Value
    ) throws(ProtoDecodingError) -> Value {
        let data = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        // libprotobuf-c allocates the C tree through this allocator: from a stack block first (a
        // typical request fits, so decoding costs no malloc), then from the heap.
        let result: Result<Value, ProtoDecodingError> = withUnsafeTemporaryAllocation(
            byteCount: UnpackArena.stackBytes, alignment: 16) { block in
            var arena = UnpackArena(base: block.baseAddress!, capacity: block.count)
            return withUnsafeMutablePointer(to: &arena) { arenaPointer in
                var allocator = ProtobufCAllocator(alloc: unpackArenaAlloc, free: unpackArenaFree,
                                                   allocator_data: UnsafeMutableRawPointer(arenaPointer))
                guard let unpacked = protobuf_c_message_unpack(descriptor, &allocator, bytes.count, data) else {
                    return .failure(ProtoDecodingError(messageName: messageName, reason: "malformed or truncated wire bytes"))
                }
                defer { protobuf_c_message_free_unpacked(unpacked, &allocator) }
                do throws(ProtoDecodingError) {
                    return .success(try convert(UnsafeRawPointer(unpacked).assumingMemoryBound(to: CMessage.self)))
                } catch {
                    return .failure(error)
                }
            }
        }
        return try result.get()
    }

    /// The deepest nesting of messages accepted when decoding a recursive type (protobuf's own
    /// default recursion limit).
    public static let maxNestingDepth = 100

    /// Fails when messages nest deeper than `maxNestingDepth` in `bytes`: a scan of the wire format
    /// guided by the protoc-c descriptors, bounded by the same limit. Malformed bytes are left for
    /// the unpacker to reject.
    public static func checkNestingDepth(_ bytes: UnsafeRawBufferPointer,
                                         descriptor: UnsafePointer<ProtobufCMessageDescriptor>,
                                         messageName: String) throws(ProtoDecodingError) {
        guard NestingScanner.fits(bytes, descriptor: descriptor, depth: 1) else {
            throw ProtoDecodingError(messageName: messageName,
                                     reason: "messages nest deeper than \(maxNestingDepth) levels")
        }
    }

    public static func encode<CMessage>(_ message: UnsafeMutablePointer<CMessage>, appendingTo buffer: inout [UInt8]) {
        // Every protoc-c message struct starts with its ProtobufCMessage header.
        let header = UnsafeRawPointer(message).assumingMemoryBound(to: ProtobufCMessage.self)
        let size = protobuf_c_message_get_packed_size(header)
        guard size > 0 else { return }
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: size))
        let written = buffer.withUnsafeMutableBufferPointer { out in
            protobuf_c_message_pack(header, out.baseAddress! + start)
        }
        precondition(written == size, "protobuf_c_message_pack wrote \(written) bytes, expected \(size)")
    }

    /// A `string` field's value, which must be valid UTF-8 (protobuf-c does not check).
    public static func string(_ pointer: UnsafePointer<CChar>?, field: String, message: String) throws(ProtoDecodingError) -> String {
        guard let pointer else { return "" }
        guard let string = String(validatingCString: pointer) else {
            throw ProtoDecodingError(messageName: message, reason: "field \(field) is not valid UTF-8")
        }
        return string
    }

    /// A `bytes` field's value.
    public static func bytes(_ data: ProtobufCBinaryData) -> [UInt8] {
        guard let base = data.data, data.len > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: base, count: data.len))
    }

    /// A singular message field's value, nil when absent.
    public static func message<CMessage, Value>(
        _ pointer: UnsafePointer<CMessage>?,
        _ convert: (UnsafePointer<CMessage>) throws(ProtoDecodingError) -> Value
    ) throws(ProtoDecodingError) -> Value? {
        guard let pointer else { return nil }
        return try convert(pointer)
    }

    /// The elements of a repeated scalar field.
    public static func array<T>(_ pointer: UnsafePointer<T>?, count: Int) -> [T] {
        guard let pointer, count > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: pointer, count: count))
    }

    /// The elements of a repeated `string` field.
    public static func strings(_ pointer: UnsafePointer<UnsafeMutablePointer<CChar>?>?, count: Int,
                               field: String, message: String) throws(ProtoDecodingError) -> [String] {
        var strings: [String] = []
        strings.reserveCapacity(count)
        for element in array(pointer, count: count) {
            strings.append(try string(element, field: field, message: message))
        }
        return strings
    }

    /// The elements of a repeated `bytes` field.
    public static func byteArrays(_ pointer: UnsafePointer<ProtobufCBinaryData>?, count: Int) -> [[UInt8]] {
        array(pointer, count: count).map(bytes)
    }

    /// The elements of a repeated message or map field, converted by `convert`.
    public static func messages<CMessage, Value>(
        _ pointer: UnsafePointer<UnsafeMutablePointer<CMessage>?>?, count: Int, field: String, message: String,
        _ convert: (UnsafePointer<CMessage>) throws(ProtoDecodingError) -> Value
    ) throws(ProtoDecodingError) -> [Value] {
        var values: [Value] = []
        values.reserveCapacity(count)
        for element in array(pointer, count: count) {
            guard let element else {
                throw ProtoDecodingError(messageName: message, reason: "field \(field) has a missing element")
            }
            values.append(try convert(element))
        }
        return values
    }

    /// The numeric value of a C enum (protoc-c enums import as structs with a signed or unsigned raw value).
    public static func int32<E: RawRepresentable>(_ value: E) -> Int32 where E.RawValue: FixedWidthInteger {
        Int32(truncatingIfNeeded: value.rawValue)
    }

    /// A C enum holding `value`; protobuf-c keeps values the enum does not declare.
    public static func cEnum<E: RawRepresentable>(_ value: Int32) -> E where E.RawValue: FixedWidthInteger {
        guard let cValue = E(rawValue: E.RawValue(truncatingIfNeeded: value)) else {
            preconditionFailure("C enums accept every raw value")
        }
        return cValue
    }
}

/// The allocator state of one unpack: a bump pointer in a stack block.
private struct UnpackArena {
    /// The stack block's size: a typical request's C tree fits in it.
    static let stackBytes = 1024

    let base: UnsafeMutableRawPointer
    let capacity: Int
    var used = 0

    init(base: UnsafeMutableRawPointer, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }
}

private func unpackArenaAlloc(_ data: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer? {
    let arena = data!.assumingMemoryBound(to: UnpackArena.self)
    let start = (arena.pointee.used + 15) & ~15
    if start + size <= arena.pointee.capacity {
        arena.pointee.used = start + size
        return arena.pointee.base + start
    }
    return malloc(max(size, 1))
}

private func unpackArenaFree(_ data: UnsafeMutableRawPointer?, _ pointer: UnsafeMutableRawPointer?) {
    guard let pointer else { return }
    let arena = data!.assumingMemoryBound(to: UnpackArena.self)
    let base = arena.pointee.base
    if pointer >= base && pointer < base + arena.pointee.capacity { return }
    free(pointer)
}

/// Walks protobuf wire bytes to measure how deeply messages nest.
private enum NestingScanner {
    /// False when a message nests deeper than the limit; true otherwise (also for bytes that are
    /// malformed: unpacking reports those).
    static func fits(_ bytes: UnsafeRawBufferPointer, descriptor: UnsafePointer<ProtobufCMessageDescriptor>,
                     depth: Int) -> Bool {
        guard depth <= ProtobufCCoding.maxNestingDepth else { return false }
        var index = 0
        while index < bytes.count {
            guard let key = varint(bytes, &index) else { return true }
            switch key & 7 {
            case 0:
                guard varint(bytes, &index) != nil else { return true }
            case 1:
                index += 8
            case 5:
                index += 4
            case 2:
                guard let length = varint(bytes, &index), length <= UInt64(bytes.count - index) else { return true }
                let end = index + Int(length)
                if let field = protobuf_c_message_descriptor_get_field(descriptor, UInt32(truncatingIfNeeded: key >> 3)),
                   field.pointee.type == PROTOBUF_C_TYPE_MESSAGE,
                   let nested = field.pointee.descriptor?.assumingMemoryBound(to: ProtobufCMessageDescriptor.self),
                   !fits(UnsafeRawBufferPointer(rebasing: bytes[index..<end]), descriptor: nested, depth: depth + 1) {
                    return false
                }
                index = end
            default:
                return true
            }
        }
        return true
    }

    private static func varint(_ bytes: UnsafeRawBufferPointer, _ index: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count && shift < 64 {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }
}
