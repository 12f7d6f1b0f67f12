/// A signed prescription, by its opaque identifier ("rx_" and 26 base32 characters, API.md).
public struct PrescriptionID: Hashable, Sendable, CustomStringConvertible {
    /// The type prefix every prescription identifier starts with.
    public static let prefix = "rx_"

    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}
