/// A parsed JSON value (RFC 8259). Numbers keep their literal text, so nothing is lost or rounded
/// until a reader asks for an integer or a floating-point value.
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    /// The number exactly as written ("290", "-0.5", "1e3").
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The JSON type's name, for error messages ("an object", "a string").
    public var typeDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
