/// One header field of a request or response.
public struct HTTPHeader: Sendable, Hashable {
    /// The field name, as sent or received (compare case-insensitively).
    public let name: String
    /// The field value, without surrounding white space.
    public let value: String

    /// A field with the given name and value; the client refuses line breaks in either.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
