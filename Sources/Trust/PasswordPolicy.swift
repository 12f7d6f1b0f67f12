/// The rule for new passwords (issue 3): at least 10 characters, at most 1,024 bytes of UTF-8.
public enum PasswordPolicy {
    /// Fewest characters (grapheme clusters, as a person counts them).
    public static let minCharacters = 10
    /// Most UTF-8 bytes: a passphrase fits, a megabyte of input is refused before hashing.
    public static let maxBytes = 1024

    /// Why a password breaks the rule.
    public enum Violation: Error, Hashable, CustomStringConvertible {
        /// Fewer than `minCharacters` characters.
        case tooShort(characterCount: Int)
        /// More than `maxBytes` bytes of UTF-8.
        case tooLong(byteCount: Int)

        /// The reason, as the person choosing the password should read it.
        public var description: String {
            switch self {
            case .tooShort(let count):
                "the password has \(count) characters; it needs at least \(PasswordPolicy.minCharacters)"
            case .tooLong(let count):
                "the password is \(count) bytes long; at most \(PasswordPolicy.maxBytes) bytes are accepted"
            }
        }
    }

    /// What is wrong with `password`, or nil when it is acceptable.
    public static func violation(of password: String) -> Violation? {
        // The byte length first: it is O(1) and bounds the character count that follows.
        let byteCount = password.utf8.count
        if byteCount > maxBytes { return .tooLong(byteCount: byteCount) }
        let characterCount = password.count
        if characterCount < minCharacters { return .tooShort(characterCount: characterCount) }
        return nil
    }
}
