import Domain
import RPCCore

/// The bytes of an `EmailMessage` as RFC 5322 and MIME (RFC 2045–2047) define them: header fields,
/// a blank line, then the body in quoted-printable, every line ending in CRLF. Both senders write
/// these same bytes, one to an SMTP server, the other to an `.eml` file.
///
/// The body is always quoted-printable, whatever the server offers: 7-bit clean, no line over 76
/// bytes, so no relay needs to re-encode it (and the `.eml` file is the message as sent).
enum EmailWireFormat {
    /// RFC 5322 §2.1.1: at most 998 characters on a line before its CRLF.
    static let maxLineBytes = 998
    /// RFC 5322 §2.1.1 again: header lines should stay within 78 characters; longer values are folded.
    static let preferredLineBytes = 78
    /// RFC 2045 §6.7 (5): an encoded line, soft break included, is at most 76 characters.
    static let maxQuotedPrintableLineBytes = 76
    /// RFC 2047 §2: an encoded word is at most 75 characters.
    static let maxEncodedWordBytes = 75
    /// RFC 5321 §4.5.3.1.3: a path (the address inside <>) is at most 256 octets, so an address 254.
    static let maxAddressBytes = 254
    /// RFC 5321 §4.5.3.1.1.
    static let maxLocalPartBytes = 64
    /// A message id longer than this is not one we made.
    static let maxMessageIDBytes = 250

    /// The message as sent at `date`. A message whose fields cannot be written safely (a line break
    /// in the subject, an address that is not a plain ASCII mailbox) is refused as `.rejected`:
    /// sending it again will not help.
    static func encode(_ message: EmailMessage, date: Instant) throws(EmailError) -> [UInt8] {
        try validate(messageID: message.messageID)
        var head = ""
        head += "Date: " + EmailDate.rfc5322(date) + "\r\n"
        head += try header("From", mailbox(message.from, role: "sender", messageID: message.messageID))
        head += try header("To", mailbox(message.to, role: "recipient", messageID: message.messageID))
        head += try header("Subject", unstructured(message.subject, field: "subject", messageID: message.messageID))
        head += "Message-ID: <\(message.messageID)>\r\n"
        head += "MIME-Version: 1.0\r\n"
        head += "Content-Type: text/plain; charset=utf-8\r\n"
        head += "Content-Transfer-Encoding: quoted-printable\r\n"
        // RFC 3834 §5: a notification, so auto-responders (out of office) do not answer it.
        head += "Auto-Submitted: auto-generated\r\n"
        head += "\r\n"
        return Array(head.utf8) + QuotedPrintable.encode(text: message.body)
    }

    /// Checks `address` is a mailbox an SMTP envelope can carry without SMTPUTF8: an ASCII
    /// dot-atom local part (RFC 5322 §3.4.1), "@", and a host name.
    static func validate(address: String, role: String, messageID: String) throws(EmailError) {
        let bytes = Array(address.utf8)
        let refusal = EmailError.rejected("message \(messageID): the \(role) address \(address.debugDescription) is not a plain mailbox")
        guard bytes.count <= maxAddressBytes, let at = bytes.lastIndex(of: UInt8(ascii: "@")) else { throw refusal }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        guard (1...maxLocalPartBytes).contains(local.count), isDotAtom(local, allowing: isAtext),
              !domain.isEmpty, isDotAtom(domain, allowing: isHostNameByte) else { throw refusal }
    }

    /// Checks a message id fits RFC 5322 §3.6.4 `id-left "@" id-right`, both dot-atoms.
    static func validate(messageID: String) throws(EmailError) {
        let bytes = Array(messageID.utf8)
        let refusal = EmailError.rejected("the message id \(messageID.debugDescription) is not of the form local@domain")
        guard bytes.count <= maxMessageIDBytes, let at = bytes.lastIndex(of: UInt8(ascii: "@")),
              isDotAtom(bytes[..<at], allowing: isAtext), isDotAtom(bytes[(at + 1)...], allowing: isAtext) else { throw refusal }
    }

    /// `Name <address>`, the name quoted or encoded as it needs.
    private static func mailbox(_ mailbox: EmailAddress, role: String, messageID: String) throws(EmailError) -> [String] {
        try validate(address: mailbox.address, role: role, messageID: messageID)
        let angle = "<\(mailbox.address)>"
        guard !mailbox.name.isEmpty else { return [angle] }
        return try phrase(mailbox.name, field: "\(role) name", messageID: messageID) + [angle]
    }

    /// A display name (RFC 5322 §3.2.5 phrase): atoms as they are, ASCII with specials as one
    /// quoted string, anything else as encoded words.
    private static func phrase(_ text: String, field: String, messageID: String) throws(EmailError) -> [String] {
        try refuseControlCharacters(text, field: field, messageID: messageID)
        let bytes = Array(text.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return encodedWords(text) }
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        if words.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isAtext) }) { return words.map(String.init) }
        var quoted = "\""
        for byte in bytes {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { quoted += "\\" }
            quoted.unicodeScalars.append(Unicode.Scalar(byte))
        }
        quoted += "\""
        return [quoted]
    }

    /// Unstructured text (a subject): kept as it is when it is printable ASCII, else encoded words.
    private static func unstructured(_ text: String, field: String, messageID: String) throws(EmailError) -> [String] {
        try refuseControlCharacters(text, field: field, messageID: messageID)
        let isPlain = text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
            && !text.hasPrefix(" ") && !text.hasSuffix(" ") && !text.contains("  ") && !text.contains("=?")
        guard isPlain else { return encodedWords(text) }
        return text.split(separator: " ").map(String.init)
    }

    /// RFC 2047 B-encoded words of UTF-8, each at most 75 characters and never splitting a
    /// character (§5 (3)). Readers join adjacent encoded words without the space between them.
    private static func encodedWords(_ text: String) -> [String] {
        let prefix = "=?UTF-8?B?"
        let suffix = "?="
        // Base64 turns every 3 bytes into 4 characters.
        let maxBytesPerWord = (maxEncodedWordBytes - prefix.utf8.count - suffix.utf8.count) / 4 * 3
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > maxBytesPerWord {
                words.append(prefix + Base64.encode(chunk) + suffix)
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append(prefix + Base64.encode(chunk) + suffix) }
        return words
    }

    /// `Name: ` and the words, folded (RFC 5322 §2.2.3) before a word that would pass 78 characters.
    private static func header(_ name: String, _ words: [String]) throws(EmailError) -> String {
        var text = name + ":"
        var lineLength = text.utf8.count
        for word in words {
            guard name.utf8.count + 2 + word.utf8.count <= maxLineBytes else {
                throw .rejected("the \(name) field has a word longer than \(maxLineBytes) bytes")
            }
            if lineLength + 1 + word.utf8.count > preferredLineBytes && lineLength > name.utf8.count + 1 {
                text += "\r\n"
                lineLength = 0
            }
            text += " " + word
            lineLength += 1 + word.utf8.count
        }
        return text + "\r\n"
    }

    private static func refuseControlCharacters(_ text: String, field: String, messageID: String) throws(EmailError) {
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || (0x80..<0xA0).contains($0.value)
                                                     || $0 == "\u{2028}" || $0 == "\u{2029}" }) else {
            throw .rejected("message \(messageID): the \(field) contains a line break or control character")
        }
    }

    private static func isDotAtom(_ bytes: ArraySlice<UInt8>, allowing isAllowed: (UInt8) -> Bool) -> Bool {
        let dot = UInt8(ascii: ".")
        guard let first = bytes.first, let last = bytes.last, first != dot, last != dot else { return false }
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == dot {
                if previous == dot { return false }
            } else if !isAllowed(byte) {
                return false
            }
            previous = byte
        }
        return true
    }

    /// RFC 5322 §3.2.3 atext.
    private static func isAtext(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            Array("!#$%&'*+-/=?^_`{|}~".utf8).contains(byte)
        }
    }

    /// A letter, digit or hyphen of a host name label (RFC 1123 §2.1).
    private static func isHostNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
