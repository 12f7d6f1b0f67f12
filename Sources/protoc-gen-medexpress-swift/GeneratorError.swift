/// Why the plugin cannot generate code for a request; protoc prints the message and fails.
struct GeneratorError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
