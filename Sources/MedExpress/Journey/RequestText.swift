import RPCCore

/// Text a caller writes (a subject, a message, a reason, a note), trimmed of surrounding spaces:
/// INVALID_ARGUMENT naming `field` when it is longer than `maxCharacters`, or empty though
/// `required`.
func checkedText(_ value: String, field: String, maxCharacters: Int, required: Bool = true) throws(Status) -> String {
    let trimmed = value.trimmingWhitespace
    if required && trimmed.isEmpty { throw Status(.invalidArgument, "\(field): 1 to \(maxCharacters) characters are needed") }
    guard trimmed.count <= maxCharacters else { throw Status(.invalidArgument, "\(field): at most \(maxCharacters) characters") }
    return trimmed
}
