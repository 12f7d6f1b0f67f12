import RPCCore

/// A test message that is its own bytes: no protobuf needed to see what travels.
struct Blob: ProtoMessage {
    static let protoMessageName = "clientkit.test.Blob"

    var bytes: [UInt8] = []

    init() {}

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    init(_ text: String) {
        self.bytes = Array(text.utf8)
    }

    init(decoding raw: UnsafeRawBufferPointer) throws(ProtoDecodingError) {
        bytes = Array(raw)
    }

    func encode(appendingTo buffer: inout [UInt8]) {
        buffer.append(contentsOf: bytes)
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }
}
