/// A Protocol Buffers message as a Swift value, coded by libprotobuf-c.
public protocol ProtoMessage: Sendable, Hashable {
    /// The message's fully qualified name, e.g. `grpc.testing.SimpleRequest`.
    static var protoMessageName: String { get }

    /// A message with every field at its default.
    init()

    /// Decodes a message from its wire bytes. Callers enforce size limits before calling.
    init(decoding bytes: UnsafeRawBufferPointer) throws(ProtoDecodingError)

    /// Appends the message's wire bytes to `buffer`.
    func encode(appendingTo buffer: inout [UInt8])
}

extension ProtoMessage {
    /// Decodes a message from a byte array.
    public init(decoding bytes: [UInt8]) throws(ProtoDecodingError) {
        let result: Result<Self, ProtoDecodingError> = bytes.withUnsafeBytes { raw in
            do throws(ProtoDecodingError) { return .success(try Self(decoding: raw)) } catch { return .failure(error) }
        }
        self = try result.get()
    }

    /// The message's wire bytes.
    public func encoded() -> [UInt8] {
        var buffer: [UInt8] = []
        encode(appendingTo: &buffer)
        return buffer
    }
}

/// Why bytes could not be decoded as a message.
public struct ProtoDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The message type that was being decoded.
    public let messageName: String
    /// What was wrong.
    public let reason: String

    public init(messageName: String, reason: String) {
        self.messageName = messageName
        self.reason = reason
    }

    public var description: String { "cannot decode \(messageName): \(reason)" }
}

extension ProtoMessage {
    /// A message built by setting fields on a default one: `Foo.with { $0.name = "x" }`.
    public static func with(_ populate: (inout Self) throws -> Void) rethrows -> Self {
        var message = Self()
        try populate(&message)
        return message
    }
}
