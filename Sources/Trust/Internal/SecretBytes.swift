/// Key material that never shows in logs: printing, interpolating or dumping it shows only its length.
struct SecretBytes: Sendable, CustomStringConvertible, CustomReflectable {
    let bytes: [UInt8]

    var description: String { "<\(bytes.count) secret bytes>" }
    var customMirror: Mirror { Mirror(self, children: [:]) }
}
