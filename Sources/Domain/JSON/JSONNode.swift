/// A value of a parsed document together with its path ("treatments[2].price_pence"), for typed
/// reads whose errors say where the document is wrong.
public struct JSONNode: Sendable {
    public let value: JSONValue
    /// Where the value sits in the document; empty for the root.
    public let path: String

    public init(_ value: JSONValue, path: String = "") {
        self.value = value
        self.path = path
    }

    /// An error about this value.
    public func error(_ message: String) -> JSONError { .unexpected(path: path, message: message) }

    public func object() throws(JSONError) -> JSONObjectNode {
        guard case let .object(object) = value else { throw mismatch("an object") }
        return JSONObjectNode(object: object, path: path)
    }

    /// The elements, each with its own path.
    public func array() throws(JSONError) -> [JSONNode] {
        guard case let .array(elements) = value else { throw mismatch("an array") }
        return elements.enumerated().map { JSONNode($1, path: "\(path)[\($0)]") }
    }

    public func string() throws(JSONError) -> String {
        guard case let .string(string) = value else { throw mismatch("a string") }
        return string
    }

    /// A string with at least one character that is not white space.
    public func nonEmptyString() throws(JSONError) -> String {
        let string = try string()
        guard string.contains(where: { !$0.isWhitespace }) else { throw error("expected a non-empty string") }
        return string
    }

    public func bool() throws(JSONError) -> Bool {
        guard case let .bool(bool) = value else { throw mismatch("a boolean") }
        return bool
    }

    /// A number written as an integer (no fraction or exponent) that fits in 64 bits.
    public func int64() throws(JSONError) -> Int64 {
        guard case let .number(literal) = value, let integer = Int64(literal) else { throw mismatch("an integer") }
        return integer
    }

    public func int() throws(JSONError) -> Int {
        guard case let .number(literal) = value, let integer = Int(literal) else { throw mismatch("an integer") }
        return integer
    }

    /// A number as the nearest `Double`; a literal too large to be finite is refused.
    public func double() throws(JSONError) -> Double {
        guard case let .number(literal) = value, let number = Double(literal), number.isFinite else { throw mismatch("a number") }
        return number
    }

    private func mismatch(_ expected: String) -> JSONError {
        error("expected \(expected), found \(value.typeDescription)")
    }
}

/// An object of a parsed document with its path: members read by name, absent required members and
/// unexpected ones reported by path.
public struct JSONObjectNode: Sendable {
    public let object: JSONObject
    public let path: String

    public init(object: JSONObject, path: String = "") {
        self.object = object
        self.path = path
    }

    public func error(_ message: String) -> JSONError { .unexpected(path: path, message: message) }

    /// The member `key`; its absence is an error naming it.
    public func required(_ key: String) throws(JSONError) -> JSONNode {
        guard let value = object[key] else { throw error("missing required field '\(key)'") }
        return JSONNode(value, path: childPath(key))
    }

    /// The member `key`, or nil when absent (an explicit `null` counts as present).
    public func optional(_ key: String) -> JSONNode? {
        object[key].map { JSONNode($0, path: childPath(key)) }
    }

    /// Refuses members outside `allowed`, so a misspelt field is an error rather than silently ignored.
    public func allowOnly(_ allowed: Set<String>) throws(JSONError) {
        if let unknown = object.keys.first(where: { !allowed.contains($0) }) {
            throw error("unknown field '\(unknown)'")
        }
    }

    private func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}
