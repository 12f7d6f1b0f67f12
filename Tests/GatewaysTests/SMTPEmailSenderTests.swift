import Domain
import Foundation
import Gateways
import Glibc
import RPCCore
import XCTest

/// The SMTP sender against `Tests/standins/smtp_standin.py`: a customer's email goes out over
/// STARTTLS and arrives as written, and every way the server or the network can refuse it ends
/// as the error the outbox needs (retry later, or give up on this message).
final class SMTPEmailSenderTests: XCTestCase {
    private static let user = "notifications@medexpress.example"
    private static let password = "correct horse battery staple"

    private func message(to address: String = "sam@example.com", subject: String = "Your MedExpress order ord_7 is confirmed",
                         body: String = "Hello Sam,\n\nThank you.\n") -> EmailMessage {
        EmailMessage(messageID: "ord_7.confirmation@medexpress.example",
                     from: EmailAddress("orders@medexpress.example", name: "MedExpress"),
                     to: EmailAddress(address, name: "Sam Smith"), subject: subject, body: body)
    }

    private func sender(_ standIn: SMTPStandIn, security: SMTPSecurity = .startTLS, trustRootsFile: String? = nil,
                        password: String = SMTPEmailSenderTests.password) throws -> SMTPEmailSender {
        try SMTPEmailSender(configuration: SMTPConfiguration(
            host: "127.0.0.1", port: standIn.port, security: security,
            username: security == .none ? nil : Self.user, password: security == .none ? nil : password,
            trustRootsFile: trustRootsFile ?? standIn.pki.caFile, heloName: "rpc.medexpress.example",
            connectTimeoutMilliseconds: 2_000, commandTimeoutMilliseconds: 5_000, sessionTimeoutMilliseconds: 10_000))
    }

    func testOrderEmailArrivesIntactThroughSTARTTLS() async throws {
        let standIn = try SMTPStandIn(user: Self.user, password: Self.password)
        let subject = "Ihre Bestellung ord_7 — £45.99 bestätigt ✓"
        let longLine = String(repeating: "Please read the patient information leaflet. ", count: 4) + "é"
        let body = "Hello Sam,\n\n.hidden line starting with a dot\n.\n..two dots\nTotal: £45.99 \n\(longLine)\nKind regards,\n"
        try await sender(standIn).send(message(subject: subject, body: body))

        let session = try XCTUnwrap(standIn.sessions().first)
        XCTAssertEqual(session.violations, [])
        XCTAssertEqual(session.commands, ["EHLO rpc.medexpress.example", "STARTTLS", "EHLO rpc.medexpress.example",
                                          "AUTH PLAIN <redacted>", "MAIL FROM:<orders@medexpress.example> SIZE=\(session.messages.first?.data.utf8.count ?? 0)",
                                          "RCPT TO:<sam@example.com>", "DATA", "QUIT"])
        let received = try XCTUnwrap(session.messages.first)
        XCTAssertTrue(received.tls)
        XCTAssertEqual(received.authUser, Self.user)
        XCTAssertEqual(received.mailFrom, "orders@medexpress.example")
        XCTAssertEqual(received.rcptTo, ["sam@example.com"])

        let (headers, encodedBody) = try XCTUnwrap(received.headersAndBody)
        XCTAssertTrue(received.data.split(separator: "\r\n", omittingEmptySubsequences: false).allSatisfy { $0.utf8.count <= 998 })
        XCTAssertTrue(received.data.utf8.allSatisfy { $0 < 0x80 }, "the message is 7-bit clean")
        XCTAssertNotNil(headers["Date"]?.range(of: #"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0[01]00$"#,
                                                options: .regularExpression), headers["Date"] ?? "no Date")
        XCTAssertEqual(headers["From"], "MedExpress <orders@medexpress.example>")
        XCTAssertEqual(headers["To"], "Sam Smith <sam@example.com>")
        XCTAssertEqual(decodeEncodedWords(try XCTUnwrap(headers["Subject"])), subject)
        XCTAssertEqual(headers["Message-ID"], "<ord_7.confirmation@medexpress.example>")
        XCTAssertEqual(headers["MIME-Version"], "1.0")
        XCTAssertEqual(headers["Content-Type"], "text/plain; charset=utf-8")
        XCTAssertEqual(headers["Content-Transfer-Encoding"], "quoted-printable")
        XCTAssertTrue(encodedBody.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 76 })
        XCTAssertEqual(decodeQuotedPrintable(encodedBody), body.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    func testImplicitTLSDeliversToo() async throws {
        let standIn = try SMTPStandIn(user: Self.user, password: Self.password, implicitTLS: true)
        try await sender(standIn, security: .implicitTLS).send(message())
        let session = try XCTUnwrap(standIn.sessions().first)
        XCTAssertEqual(session.commands.first, "EHLO rpc.medexpress.example")
        XCTAssertFalse(session.commands.contains("STARTTLS"))
        XCTAssertEqual(session.messages.first?.tls, true)
        XCTAssertEqual(session.messages.first?.authUser, Self.user)
    }

    func testAuthLoginWhenTheServerOffersNoPlain() async throws {
        let standIn = try SMTPStandIn(user: Self.user, password: Self.password, authMechanisms: "LOGIN")
        try await sender(standIn).send(message())
        let session = try XCTUnwrap(standIn.sessions().first)
        XCTAssertTrue(session.commands.contains("AUTH LOGIN <redacted>"), "\(session.commands)")
        XCTAssertEqual(session.messages.first?.authUser, Self.user)
    }

    func testServerWithoutSTARTTLSGetsNeitherPasswordNorMessage() async throws {
        let standIn = try SMTPStandIn(user: Self.user, password: Self.password, offersTLS: false)
        let error = await emailError { try await self.sender(standIn).send(self.message()) }
        XCTAssertTrue(unavailableMessage(error)?.contains("does not offer STARTTLS") == true, "\(String(describing: error))")
        let session = try XCTUnwrap(standIn.sessions().first)
        XCTAssertEqual(session.commands, ["EHLO rpc.medexpress.example"])
        XCTAssertNil(session.authUser)
        XCTAssertEqual(session.messages.count, 0)
    }

    func testUnknownRecipientIsRejectedForGood() async throws {
        let standIn = try SMTPStandIn(user: Self.user, password: Self.password, replies: ["gone@example.com": 550])
        let error = await emailError { try await self.sender(standIn).send(self.message(to: "gone@example.com")) }
        let reason = try XCTUnwrap(rejectedMessage(error), "\(String(describing: error))")
        XCTAssertTrue(reason.contains("RCPT TO:<gone@example.com>") && reason.contains("550"), reason)
        let session = try XCTUnwrap(standIn.sessions().first)
        XCTAssertEqual(session.commands.suffix(2), ["RCPT TO:<gone@example.com>", "QUIT"])
        XCTAssertEqual(session.messages.count, 0)
    }

    func testDeferredRecipientIsUnavailableForNow() async throws {
        let standIn = try SMTPStandIn(user: Self.user, password: Self.password, replies: ["busy@example.com": 451])
        let error = await emailError { try await self.sender(standIn).send(self.message(to: "busy@example.com")) }
        let reason = try XCTUnwrap(unavailableMessage(error), "\(String(describing: error))")
        XCTAssertTrue(reason.contains("451"), reason)
        XCTAssertEqual(try standIn.sessions().first?.messages.count, 0)
    }

    func testWrongPasswordIsUnavailableNotARejectionOfTheMessage() async throws {
        let standIn = try SMTPStandIn(user: Self.user, password: Self.password)
        let error = await emailError { try await self.sender(standIn, password: "wrong").send(self.message()) }
        let reason = try XCTUnwrap(unavailableMessage(error), "\(String(describing: error))")
        XCTAssertTrue(reason.contains("AUTH as \(Self.user)") && reason.contains("535"), reason)
        XCTAssertFalse(reason.contains("wrong"), "the password never appears in a message")
        XCTAssertEqual(try standIn.sessions().first?.messages.count, 0)
    }

    func testUntrustedCertificateIsUnavailableAndNothingIsSent() async throws {
        let standIn = try SMTPStandIn(user: Self.user, password: Self.password)
        let otherAuthority = try StandInPKI(caName: "Some Other CA")
        let error = await emailError {
            try await self.sender(standIn, trustRootsFile: otherAuthority.caFile).send(self.message())
        }
        let reason = try XCTUnwrap(unavailableMessage(error), "\(String(describing: error))")
        XCTAssertTrue(reason.contains("TLS handshake") && reason.contains("certificate"), reason)
        let session = try XCTUnwrap(standIn.sessions().first)
        XCTAssertFalse(session.commands.contains { $0.hasPrefix("AUTH") || $0.hasPrefix("MAIL") })
        XCTAssertEqual(session.messages.count, 0)
    }

    func testDeadPortIsUnavailableAtOnce() async throws {
        let (fd, port) = try Socket.listen(on: SocketAddress(host: "127.0.0.1", port: 0), reusePort: false)
        close(fd)
        let sender = try SMTPEmailSender(configuration: SMTPConfiguration(host: "127.0.0.1", port: port,
                                                                          connectTimeoutMilliseconds: 2_000))
        let started = ContinuousClock.now
        let error = await emailError { try await sender.send(self.message()) }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(1))
        let reason = try XCTUnwrap(unavailableMessage(error), "\(String(describing: error))")
        XCTAssertTrue(reason.contains("127.0.0.1:\(port)"), reason)
    }

    func testPlaintextGoesOnlyToALoopbackRelayAndNeverWithAPassword() async throws {
        XCTAssertThrowsError(try SMTPEmailSender(configuration: SMTPConfiguration(host: "smtp.example.com", security: .none)))
        XCTAssertThrowsError(try SMTPEmailSender(configuration: SMTPConfiguration(
            host: "127.0.0.1", security: .none, username: "user", password: "secret")))
        XCTAssertThrowsError(try SMTPEmailSender(configuration: SMTPConfiguration(host: "smtp.example.com", username: "user")))

        let standIn = try SMTPStandIn(offersTLS: false)
        try await sender(standIn, security: .none).send(message())
        let session = try XCTUnwrap(standIn.sessions().first)
        XCTAssertEqual(session.messages.count, 1)
        XCTAssertFalse(session.commands.contains { $0.hasPrefix("AUTH") })
    }

    func testTheConfigurationNeverShowsThePassword() {
        let configuration = SMTPConfiguration(host: "smtp.example.com", username: Self.user, password: Self.password)
        XCTAssertFalse("\(configuration)".contains(Self.password))
        XCTAssertTrue("\(configuration)".contains("smtp.example.com:587"))
    }

    func testAMessageThatCannotBeWrittenSafelyIsRejectedBeforeConnecting() async throws {
        let sender = try SMTPEmailSender(configuration: SMTPConfiguration(host: "127.0.0.1", port: 9, security: .none))
        let injected = await emailError { try await sender.send(self.message(subject: "Hello\r\nBcc: everyone@example.com")) }
        XCTAssertNotNil(rejectedMessage(injected), "\(String(describing: injected))")
        let badAddress = await emailError { try await sender.send(self.message(to: "sam@example.com>\r\nRCPT TO:<x@example.com")) }
        XCTAssertNotNil(rejectedMessage(badAddress), "\(String(describing: badAddress))")
    }
}

/// `Tests/standins/smtp_standin.py` on an ephemeral port, for one test; its records live in the
/// PKI's temporary directory.
private final class SMTPStandIn {
    let pki: StandInPKI
    let port: Int
    private let recordDirectory: String
    private let process: Process
    private let stdin: Pipe

    init(user: String? = nil, password: String? = nil, authMechanisms: String = "PLAIN,LOGIN", offersTLS: Bool = true,
         implicitTLS: Bool = false, replies: [String: Int] = [:]) throws {
        pki = try StandInPKI(caName: "SMTP Stand-in Test CA")
        recordDirectory = pki.directory + "/records"
        try FileManager.default.createDirectory(atPath: recordDirectory, withIntermediateDirectories: false)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("standins/smtp_standin.py").path
        var arguments = ["python3", script, "--record-dir", recordDirectory]
        if offersTLS { arguments += ["--cert", pki.certificateFile, "--key", pki.keyFile] }
        if implicitTLS { arguments += ["--implicit-tls"] }
        if let user, let password { arguments += ["--user", user, "--password", password, "--auth-mechanisms", authMechanisms] }
        for (address, code) in replies { arguments += ["--reply", "\(address)=\(code)"] }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let stdout = Pipe()
        stdin = Pipe()
        process.standardOutput = stdout
        process.standardInput = stdin
        try process.run()
        var line: [UInt8] = []
        while let byte = try stdout.fileHandleForReading.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") {
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw POSIXError(.EIO)
        }
        self.port = port
    }

    deinit {
        // The stand-in exits when its stdin closes; SIGTERM alone may not reach it, as a process
        // started from a cooperative-pool thread inherits that thread's blocked signals.
        try? stdin.fileHandleForWriting.close()
        process.terminate()
        process.waitUntilExit()
    }

    /// What the stand-in recorded of each connection, in order.
    /// The recorded sessions. The stand-in writes a session when its connection ends, which can be
    /// just after the client returns (a client that hangs up without QUIT): wait up to 3 s for one.
    func sessions() throws -> [RecordedSMTPSession] {
        var names: [String] = []
        for _ in 0..<60 {
            names = try FileManager.default.contentsOfDirectory(atPath: recordDirectory)
                .filter { $0.hasPrefix("session-") && $0.hasSuffix(".json") }.sorted()
            if !names.isEmpty { break }
            usleep(50_000)
        }
        return try names.map { name in
            let data = try Data(contentsOf: URL(fileURLWithPath: recordDirectory + "/" + name))
            return try RecordedSMTPSession(try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any]))
        }
    }
}

/// One connection as the stand-in saw it.
private struct RecordedSMTPSession {
    struct Message {
        let mailFrom: String
        let rcptTo: [String]
        let tls: Bool
        let authUser: String?
        /// The message after dot-unstuffing, CRLF line ends.
        let data: String

        /// Header fields (unfolded) by name, and the body as sent.
        var headersAndBody: ([String: String], String)? {
            guard let split = data.range(of: "\r\n\r\n") else { return nil }
            var headers: [String: String] = [:]
            let unfolded = data[..<split.lowerBound].replacingOccurrences(of: "\r\n ", with: " ")
            for line in unfolded.components(separatedBy: "\r\n") {
                guard let colon = line.firstIndex(of: ":") else { return nil }
                headers[String(line[..<colon])] = String(line[line.index(colon, offsetBy: 2)...])
            }
            return (headers, String(data[split.upperBound...]))
        }
    }

    let commands: [String]
    let authUser: String?
    let messages: [Message]
    let violations: [String]

    init(_ json: [String: Any]) throws {
        commands = json["commands"] as? [String] ?? []
        authUser = json["auth_user"] as? String
        violations = json["violations"] as? [String] ?? []
        messages = (json["messages"] as? [[String: Any]] ?? []).map { message in
            Message(mailFrom: message["mail_from"] as? String ?? "", rcptTo: message["rcpt_to"] as? [String] ?? [],
                    tls: message["tls"] as? Bool ?? false, authUser: message["auth_user"] as? String,
                    data: message["data"] as? String ?? "")
        }
    }
}

/// The text of RFC 2047 encoded words ("=?UTF-8?B?…?=" separated by spaces), or the text itself.
private func decodeEncodedWords(_ text: String) -> String {
    let words = text.split(separator: " ")
    guard words.allSatisfy({ $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") }) else { return text }
    var bytes = Data()
    for word in words {
        bytes += Data(base64Encoded: String(word.dropFirst(10).dropLast(2))) ?? Data()
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Quoted-printable (RFC 2045 §6.7) back to text: soft breaks removed, =XX replaced.
private func decodeQuotedPrintable(_ text: String) -> String {
    let bytes = Array(text.replacingOccurrences(of: "=\r\n", with: "").utf8)
    var output: [UInt8] = []
    var index = 0
    while index < bytes.count {
        if bytes[index] == UInt8(ascii: "="), index + 2 < bytes.count,
           let value = UInt8(String(decoding: bytes[index + 1...index + 2], as: UTF8.self), radix: 16) {
            output.append(value)
            index += 3
        } else {
            output.append(bytes[index])
            index += 1
        }
    }
    return String(decoding: output, as: UTF8.self)
}

/// The `EmailError` `body` threw, or nil (and a test failure) when it threw none.
func emailError(file: StaticString = #filePath, line: UInt = #line, _ body: () async throws -> Void) async -> EmailError? {
    do {
        try await body()
        XCTFail("expected an EmailError", file: file, line: line)
        return nil
    } catch let error as EmailError {
        return error
    } catch {
        XCTFail("expected an EmailError, not \(error)", file: file, line: line)
        return nil
    }
}

/// The message of an `.unavailable` email error, or nil.
func unavailableMessage(_ error: EmailError?) -> String? {
    if case .unavailable(let message)? = error { return message }
    return nil
}

/// The message of a `.rejected` email error, or nil.
func rejectedMessage(_ error: EmailError?) -> String? {
    if case .rejected(let message)? = error { return message }
    return nil
}
