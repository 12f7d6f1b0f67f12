/// A JSON object: its members in document order, with no key twice.
public struct JSONObject: Hashable, Sendable {
    /// One `"key": value` pair.
    public struct Member: Hashable, Sendable {
        public let key: String
        public let value: JSONValue
        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// The members in the order they were written.
    public private(set) var members: [Member] = []
    private var indexByKey: [String: Int] = [:]

    public init() {}

    /// An object of `members`; a key given twice is refused, naming it.
    public init(_ members: [Member]) throws(JSONError) {
        for member in members { try append(member.key, member.value) }
    }

    /// Adds a member at the end; a key already present is refused.
    public mutating func append(_ key: String, _ value: JSONValue) throws(JSONError) {
        guard indexByKey[key] == nil else { throw JSONError.unexpected(path: "", message: "duplicate key \"\(key)\"") }
        indexByKey[key] = members.count
        members.append(Member(key: key, value: value))
    }

    /// The keys in document order.
    public var keys: [String] { members.map(\.key) }

    public var count: Int { members.count }

    public subscript(key: String) -> JSONValue? {
        indexByKey[key].map { members[$0].value }
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool { lhs.members == rhs.members }
    public func hash(into hasher: inout Hasher) { hasher.combine(members) }
}
