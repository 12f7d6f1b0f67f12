import Domain
import Foundation
import Gateways
import Glibc
import XCTest

/// The laptop's email sender: each message lands in `<data>/outbox-mail/<messageID>.eml`, private
/// to the user, complete or not at all, and once however often it is sent.
final class EmailFileSenderTests: XCTestCase {
    private var dataDirectory: String!

    /// 2026-07-01 12:00:00 UTC: British Summer Time, so the Date field reads 13:00 +0100.
    private static let julyNoon = Instant(microsecondsSinceEpoch: 1_782_907_200 * 1_000_000)

    override func setUpWithError() throws {
        var template = Array((NSTemporaryDirectory() + "/medexpress-email-XXXXXX").utf8CString)
        guard mkdtemp(&template) != nil else { throw POSIXError(.EIO) }
        dataDirectory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(atPath: dataDirectory)
    }

    private let confirmation = EmailMessage(
        messageID: "ord_01JTEST.confirmation@medexpress.example",
        from: EmailAddress("orders@medexpress.example", name: "MedExpress"),
        to: EmailAddress("sam@example.com", name: "Sam O'Brien, Jr."),
        subject: "Your MedExpress order ord_01JTEST is confirmed",
        body: "Hello Sam,\n\nTotal: £17.69\n.\n")

    func testConfirmationIsWrittenAsAPrivateEmlFileWithTheExactMessage() async throws {
        let sender = try EmailFileSender(dataDirectory: dataDirectory, now: { Self.julyNoon })
        try await sender.send(confirmation)

        let path = dataDirectory + "/outbox-mail/ord_01JTEST.confirmation@medexpress.example.eml"
        XCTAssertEqual(sender.path(forMessageID: confirmation.messageID), path)
        var status = stat()
        XCTAssertEqual(stat(path, &status), 0)
        XCTAssertEqual(status.st_mode & 0o777, 0o600)
        let expected = "Date: Wed, 1 Jul 2026 13:00:00 +0100\r\n"
            + "From: MedExpress <orders@medexpress.example>\r\n"
            + "To: \"Sam O'Brien, Jr.\" <sam@example.com>\r\n"
            + "Subject: Your MedExpress order ord_01JTEST is confirmed\r\n"
            + "Message-ID: <ord_01JTEST.confirmation@medexpress.example>\r\n"
            + "MIME-Version: 1.0\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n"
            + "Content-Transfer-Encoding: quoted-printable\r\n"
            + "Auto-Submitted: auto-generated\r\n"
            + "\r\n"
            + "Hello Sam,\r\n"
            + "\r\n"
            + "Total: =C2=A317.69\r\n"
            + ".\r\n"
        XCTAssertEqual(String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self), expected)
        var directoryStatus = stat()
        XCTAssertEqual(stat(dataDirectory + "/outbox-mail", &directoryStatus), 0)
        XCTAssertEqual(directoryStatus.st_mode & 0o777, 0o700)
    }

    func testSendingTheSameMessageAgainKeepsTheOneFileAsItWas() async throws {
        let first = try EmailFileSender(dataDirectory: dataDirectory, now: { Self.julyNoon })
        try await first.send(confirmation)
        let path = first.path(forMessageID: confirmation.messageID)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))

        let later = try EmailFileSender(dataDirectory: dataDirectory, now: { Self.julyNoon.adding(days: 1) })
        try await later.send(confirmation)
        try await later.send(confirmation)

        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), original)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dataDirectory + "/outbox-mail"),
                       ["ord_01JTEST.confirmation@medexpress.example.eml"], "no duplicate and no temporary file left")
    }

    func testEveryMessageGetsItsOwnFile() async throws {
        let sender = try EmailFileSender(dataDirectory: dataDirectory)
        for kind in ["confirmation", "approved", "dispatched"] {
            try await sender.send(EmailMessage(messageID: "ord_9.\(kind)@medexpress.example", from: confirmation.from,
                                               to: confirmation.to, subject: "Order ord_9", body: kind + "\n"))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dataDirectory + "/outbox-mail").sorted(),
                       ["ord_9.approved@medexpress.example.eml", "ord_9.confirmation@medexpress.example.eml",
                        "ord_9.dispatched@medexpress.example.eml"])
    }

    func testAMessageIDThatWouldLeaveTheOutboxIsRejected() async throws {
        let sender = try EmailFileSender(dataDirectory: dataDirectory)
        for messageID in ["../../etc/passwd@x", "a/../../b@medexpress.example", "no-at-sign"] {
            let message = EmailMessage(messageID: messageID, from: confirmation.from, to: confirmation.to,
                                       subject: "x", body: "x\n")
            let error = await emailError { try await sender.send(message) }
            XCTAssertNotNil(rejectedMessage(error), "\(messageID): \(String(describing: error))")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dataDirectory + "/outbox-mail"), [])
    }

    func testAMissingDataDirectoryShowsAtStartup() {
        XCTAssertThrowsError(try EmailFileSender(dataDirectory: dataDirectory + "/missing")) { error in
            XCTAssertTrue("\(error)".contains("/missing/outbox-mail"), "\(error)")
        }
    }
}
