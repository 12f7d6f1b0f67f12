/// An amount of money in pence (GBP minor units): never floating point (API.md, Conventions).
public struct Pence: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The amount in pence; negative only for credits such as a discount line.
    public var value: Int64

    public init(_ value: Int64) { self.value = value }

    public static let zero = Pence(0)

    public static func < (lhs: Pence, rhs: Pence) -> Bool { lhs.value < rhs.value }
    public static func + (lhs: Pence, rhs: Pence) -> Pence { Pence(lhs.value + rhs.value) }
    public static func - (lhs: Pence, rhs: Pence) -> Pence { Pence(lhs.value - rhs.value) }
    public static func * (lhs: Pence, rhs: Int64) -> Pence { Pence(lhs.value * rhs) }

    /// "£2.90", "-£0.50".
    public var description: String {
        let magnitude = value.magnitude
        let pence = magnitude % 100
        return "\(value < 0 ? "-" : "")£\(magnitude / 100).\(pence < 10 ? "0" : "")\(pence)"
    }
}
