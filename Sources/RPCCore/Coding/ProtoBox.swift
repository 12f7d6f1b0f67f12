/// Immutable heap storage for a message field whose type contains the message itself, so that a
/// recursive message stays a finite-size value type. Replaced, never mutated, on assignment.
public final class ProtoBox<Value: Hashable & Sendable>: Hashable, Sendable {
    /// The stored message.
    public let value: Value

    public init(_ value: Value) {
        self.value = value
    }

    public static func == (lhs: ProtoBox, rhs: ProtoBox) -> Bool { lhs.value == rhs.value }

    public func hash(into hasher: inout Hasher) { hasher.combine(value) }
}
