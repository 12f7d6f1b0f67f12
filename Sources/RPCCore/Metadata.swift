/// Ordered gRPC metadata: ASCII keys (lower-cased) with text values, or binary values for `-bin` keys.
public struct Metadata: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    /// One key and value.
    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: MetadataValue
    }

    public typealias Key = String
    public typealias Value = String

    private var entries: [Entry] = []

    /// Empty metadata.
    public init() {}

    public init(dictionaryLiteral elements: (Key, String)...) {
        for (key, value) in elements { add(key, value) }
    }

    /// The number of entries.
    public var count: Int { entries.count }
    /// Whether there are no entries.
    public var isEmpty: Bool { entries.isEmpty }

    /// Appends a text value. The key is lower-cased.
    public mutating func add(_ key: String, _ value: String) {
        entries.append(Entry(key: Self.normalized(key), value: .string(value)))
    }

    /// Appends a binary value; the key must end in `-bin`.
    public mutating func add(_ key: String, binary value: [UInt8]) {
        let key = Self.normalized(key)
        precondition(key.hasSuffix("-bin"), "binary metadata keys end in -bin")
        entries.append(Entry(key: key, value: .binary(value)))
    }

    /// Appends a value as it is.
    public mutating func add(_ key: String, value: MetadataValue) {
        entries.append(Entry(key: Self.normalized(key), value: value))
    }

    /// Appends a value under a key known to be lower-case already (HTTP/2 header names are).
    public mutating func add(lowercasedKey key: String, value: MetadataValue) {
        // Requests usually carry a few entries (user-agent and the like): one allocation for them.
        if entries.capacity == 0 { entries.reserveCapacity(4) }
        entries.append(Entry(key: key, value: value))
    }

    /// Removes every value of a key.
    public mutating func removeAll(_ key: String) {
        let key = Self.normalized(key)
        entries.removeAll { $0.key == key }
    }

    /// Replaces every value of a key with one text value.
    public mutating func replace(_ key: String, _ value: String) {
        removeAll(key)
        add(key, value)
    }

    /// `key` lower-cased, without allocating when it already is (the usual case).
    private static func normalized(_ key: String) -> String {
        var key = key
        let hasUpperCase = key.withUTF8 { bytes in bytes.contains { $0 >= 0x41 && $0 <= 0x5A } }
        return hasUpperCase ? key.lowercased() : key
    }

    /// Whether a stored (lower-case) key is `asked`, ignoring ASCII case: lookups need neither
    /// lower-case their key nor allocate.
    private static func matches(_ stored: String, _ asked: String) -> Bool {
        guard stored.utf8.count == asked.utf8.count else { return false }
        if stored == asked { return true }
        return zip(stored.utf8, asked.utf8).allSatisfy { $0 == ($1 >= 0x41 && $1 <= 0x5A ? $1 | 0x20 : $1) }
    }

    /// The first text value of a key.
    public subscript(key: String) -> String? {
        for entry in entries where Self.matches(entry.key, key) {
            if case .string(let text) = entry.value { return text }
        }
        return nil
    }

    /// Every value of a key, in order.
    public func values(_ key: String) -> [MetadataValue] {
        var found: [MetadataValue] = []
        for entry in entries where Self.matches(entry.key, key) { found.append(entry.value) }
        return found
    }

    /// The first binary value of a `-bin` key.
    public func binary(_ key: String) -> [UInt8]? {
        for entry in entries where Self.matches(entry.key, key) {
            if case .binary(let bytes) = entry.value { return bytes }
        }
        return nil
    }

    public func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }
}

/// One metadata value: text for ordinary keys, bytes for keys ending in `-bin`.
public enum MetadataValue: Sendable, Hashable {
    case string(String)
    case binary([UInt8])
}
