/// One SMTP reply (RFC 5321 §4.2): a three-digit code and the text of each of its lines.
struct SMTPReply: Hashable, Sendable {
    /// Most characters of a reply's text quoted in an error message.
    static let maxQuotedTextCharacters = 300

    let code: Int
    /// The text after the code on each line, in order (one line for most replies).
    let lines: [String]

    /// 5xx: do not repeat the same request (RFC 5321 §4.2.1); 4xx would be "try again later".
    var isPermanentFailure: Bool { (500...599).contains(code) }

    /// The EHLO keywords of an EHLO reply, upper-cased, with their parameters: every line but the
    /// first (RFC 5321 §4.1.1.1), e.g. "STARTTLS": [], "AUTH": ["PLAIN", "LOGIN"], "SIZE": ["35882577"].
    var extensions: [String: [String]] {
        var result: [String: [String]] = [:]
        for line in lines.dropFirst() {
            let words = line.split(separator: " ").map { $0.uppercased() }
            guard let keyword = words.first else { continue }
            result[keyword] = Array(words.dropFirst())
        }
        return result
    }

    /// "550 5.1.1 No such user", lines joined with " / ", cut short for messages and logs.
    var summary: String {
        let text = lines.filter { !$0.isEmpty }.joined(separator: " / ")
        let shortened = text.count > Self.maxQuotedTextCharacters ? String(text.prefix(Self.maxQuotedTextCharacters)) + "…" : text
        return shortened.isEmpty ? String(code) : "\(code) \(shortened)"
    }
}
