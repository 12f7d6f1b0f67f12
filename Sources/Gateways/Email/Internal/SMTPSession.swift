import Domain
import RPCCore

/// The client's side of one SMTP dialogue (RFC 5321 §3, §4.1) delivering one message: greeting,
/// EHLO, STARTTLS (RFC 3207) and EHLO again, AUTH (RFC 4954), then MAIL, RCPT and DATA.
///
/// A failure reply to the message itself (MAIL, RCPT, DATA) keeps its meaning: 4xx is
/// `.unavailable`, 5xx `.rejected`. A failure before the message (greeting, EHLO, STARTTLS,
/// AUTH) is ours or the server's, not the message's, so it is always `.unavailable`: the message
/// goes out once the configuration or the server is put right.
struct SMTPSession {
    let connection: SMTPConnection
    let configuration: SMTPConfiguration
    let tlsContext: TLSContext

    /// The message bytes (RFC 5322, CRLF lines) from `sender` to `recipient`.
    func deliver(_ message: [UInt8], sender: String, recipient: String) throws(EmailError) {
        try expect(connection.readReply(), 220, during: "the greeting")
        var extensions = try hello()
        if configuration.security == .startTLS {
            guard extensions["STARTTLS"] != nil else {
                throw .unavailable("the SMTP server \(connection.peer) does not offer STARTTLS; refusing to send in the clear")
            }
            try command("STARTTLS", expecting: [220], during: "STARTTLS")
            try connection.startTLS(context: tlsContext)
            // RFC 3207 §4.2: forget everything the server said before TLS and ask again.
            extensions = try hello()
        }
        if let username = configuration.username, let password = configuration.password {
            // The configuration allows credentials only with TLS, and STARTTLS succeeded or threw.
            precondition(connection.isSecure, "AUTH is sent only over TLS")
            try authenticate(username: username, password: password, mechanisms: extensions["AUTH"] ?? [])
        }
        var mailFrom = "MAIL FROM:<\(sender)>"
        // RFC 1870: declaring the size lets a server refuse an oversized message before it is sent.
        if extensions["SIZE"] != nil { mailFrom += " SIZE=\(message.count)" }
        try command(mailFrom, expecting: [250], during: "MAIL FROM:<\(sender)>", isAboutTheMessage: true)
        try command("RCPT TO:<\(recipient)>", expecting: [250, 251], during: "RCPT TO:<\(recipient)>", isAboutTheMessage: true)
        try command("DATA", expecting: [354], during: "DATA", isAboutTheMessage: true)
        try connection.send(Self.dotStuffed(message))
        try expect(connection.readReply(), 250, during: "the end of the message data", isAboutTheMessage: true)
        // Delivered: the server has taken responsibility (RFC 5321 §4.1.1.4). QUIT is a courtesy.
        quit()
    }

    /// Says QUIT without caring for the answer: after delivery, or after a failure reply (a
    /// network failure just closes the connection).
    private func quit() {
        do throws(EmailError) {
            try connection.send(command: "QUIT")
            _ = try connection.readReply()
        } catch {
            return
        }
    }

    /// EHLO; the server's extensions.
    private func hello() throws(EmailError) -> [String: [String]] {
        try connection.send(command: "EHLO \(configuration.heloName)")
        let reply = try connection.readReply()
        try expect(reply, 250, during: "EHLO")
        return reply.extensions
    }

    /// AUTH PLAIN with an initial response (RFC 4616), else AUTH LOGIN.
    private func authenticate(username: String, password: String, mechanisms: [String]) throws(EmailError) {
        let step = "AUTH as \(username)"
        if mechanisms.contains("PLAIN") {
            let credentials = Base64.encode([0] + Array(username.utf8) + [0] + Array(password.utf8))
            try command("AUTH PLAIN \(credentials)", expecting: [235], during: step)
        } else if mechanisms.contains("LOGIN") {
            try command("AUTH LOGIN", expecting: [334], during: step)
            try command(Base64.encode(Array(username.utf8)), expecting: [334], during: step)
            try command(Base64.encode(Array(password.utf8)), expecting: [235], during: step)
        } else {
            throw .unavailable("the SMTP server \(connection.peer) offers neither AUTH PLAIN nor AUTH LOGIN "
                               + "(it offers: \(mechanisms.isEmpty ? "no AUTH" : mechanisms.joined(separator: " ")))")
        }
    }

    private func command(_ line: String, expecting codes: Set<Int>, during step: String,
                         isAboutTheMessage: Bool = false) throws(EmailError) {
        try connection.send(command: line)
        let reply = try connection.readReply()
        guard !codes.contains(reply.code) else { return }
        quit()
        throw failure(reply, during: step, isAboutTheMessage: isAboutTheMessage)
    }

    private func expect(_ reply: SMTPReply, _ code: Int, during step: String, isAboutTheMessage: Bool = false) throws(EmailError) {
        guard reply.code != code else { return }
        quit()
        throw failure(reply, during: step, isAboutTheMessage: isAboutTheMessage)
    }

    private func failure(_ reply: SMTPReply, during step: String, isAboutTheMessage: Bool) -> EmailError {
        let text = "the SMTP server \(connection.peer) answered \(step) with \(reply.summary)"
        if reply.isPermanentFailure && isAboutTheMessage { return .rejected(text) }
        return .unavailable(text)
    }

    /// The DATA block (RFC 5321 §4.5.2): a line starting with "." gets another in front, and a
    /// line holding only "." ends the message. `message` ends in CRLF.
    static func dotStuffed(_ message: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(message.count + 64)
        var isLineStart = true
        for byte in message {
            if isLineStart && byte == UInt8(ascii: ".") { output.append(byte) }
            output.append(byte)
            isLineStart = byte == 0x0A
        }
        return output + Array(".\r\n".utf8)
    }
}
