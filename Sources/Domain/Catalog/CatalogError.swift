/// Why the catalog's data files could not be loaded: the file and the bad item, in words a person
/// can act on ("weight-loss.json: medications[0].products[1].price_pence: must not be negative").
public struct CatalogError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The data file at fault ("catalog.json"), or empty when the set of files is at fault.
    public let file: String
    public let message: String

    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { file.isEmpty ? message : "\(file): \(message)" }
}
