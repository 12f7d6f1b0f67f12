import CProtobufC

/// Owns the C memory of one message being encoded by libprotobuf-c and frees all of it together.
///
/// Generated code builds the protoc-c struct tree of a message inside an arena, packs it, and drops
/// the arena; no allocation outlives the `encode` call. Not thread-safe: one arena per encoding.
public final class ProtoArena {
    /// Bytes per block: one block holds a typical message's whole C tree, so encoding costs one
    /// allocation instead of one per struct, string and byte field.
    static let blockBytes = 4096

    /// Bytes of the stack block `withArena` starts an arena with.
    public static let stackBlockBytes = 1024

    private var block: UnsafeMutableRawPointer?
    private var blockUsed = 0
    private var blockCapacity = 0
    /// Blocks filled before the current one (empty for most messages).
    private var fullBlocks: [UnsafeMutableRawPointer] = []
    /// A block the arena does not own (the caller's stack): never deallocated here.
    private let borrowedBlock: UnsafeMutableRawPointer?

    public init() {
        borrowedBlock = nil
    }

    private init(borrowing block: UnsafeMutableRawBufferPointer) {
        self.block = block.baseAddress
        self.blockCapacity = block.count
        self.borrowedBlock = block.baseAddress
    }

    /// Runs `body` with an arena whose first block is on the stack: encoding a typical message
    /// then allocates nothing for its C tree. The arena must not outlive `body`.
    /// Never inlined: in an async caller the block would come from the task's allocator.
    @inline(never)
    public static func withArena<Result>(_ body: (ProtoArena) throws -> Result) rethrows -> Result {
        try withUnsafeTemporaryAllocation(byteCount: stackBlockBytes, alignment: 16) { block in
            let arena = ProtoArena(borrowing: block)
            return try withExtendedLifetime(arena) { try body(arena) }
        }
    }

    deinit {
        if let block, block != borrowedBlock { block.deallocate() }
        for full in fullBlocks where full != borrowedBlock { full.deallocate() }
    }

    /// Zeroed memory for `count` values of the C type `T` (at least one, so the pointer is never
    /// dangling even for an empty array).
    public func allocate<T>(_ type: T.Type, count: Int = 1) -> UnsafeMutablePointer<T> {
        precondition(count >= 0, "negative allocation count")
        let capacity = max(count, 1)
        let byteCount = MemoryLayout<T>.stride * capacity
        let raw = bump(byteCount: byteCount, alignment: max(MemoryLayout<T>.alignment, 8))
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
        return raw.bindMemory(to: T.self, capacity: capacity)
    }

    private func bump(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        let start = (blockUsed + alignment - 1) & ~(alignment - 1)
        if let block, start + byteCount <= blockCapacity {
            blockUsed = start + byteCount
            return block + start
        }
        if let block { fullBlocks.append(block) }
        let size = max(Self.blockBytes, byteCount)
        let fresh = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        block = fresh
        blockCapacity = size
        blockUsed = byteCount
        return fresh
    }

    /// A protoc-c message struct set to its defaults by the generated `..._init` function.
    public func message<T>(_ type: T.Type, _ initialize: (UnsafeMutablePointer<T>) -> Void) -> UnsafeMutablePointer<T> {
        let message = allocate(type)
        initialize(message)
        return message
    }

    /// A NUL-terminated copy of a string's UTF-8 bytes (protobuf-c `string` fields are C strings).
    public func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        var string = string
        return string.withUTF8 { utf8 in
            let copy = allocate(CChar.self, count: utf8.count + 1)
            if let base = utf8.baseAddress {
                UnsafeMutableRawPointer(copy).copyMemory(from: base, byteCount: utf8.count)
            }
            return copy
        }
    }

    /// A `bytes` field value pointing at a copy of `bytes`.
    public func binaryData(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        ProtobufCBinaryData(len: bytes.count, data: array(bytes))
    }

    /// A C array holding a copy of `values`.
    public func array<T>(_ values: [T]) -> UnsafeMutablePointer<T> {
        let copy = allocate(T.self, count: values.count)
        for (index, value) in values.enumerated() { copy[index] = value }
        return copy
    }

    /// A C array of string pointers (`char **`) for a repeated `string` field.
    public func cStrings(_ strings: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
        array(strings.map { Optional(cString($0)) })
    }

    /// A C array of `ProtobufCBinaryData` for a repeated `bytes` field.
    public func binaryDataArray(_ values: [[UInt8]]) -> UnsafeMutablePointer<ProtobufCBinaryData> {
        array(values.map { binaryData($0) })
    }

    /// A C array of message pointers (`T **`) for a repeated message or map field.
    public func pointers<T>(_ messages: [UnsafeMutablePointer<T>]) -> UnsafeMutablePointer<UnsafeMutablePointer<T>?> {
        array(messages.map { Optional($0) })
    }
}
