import Domain
import Synchronization

/// An email sender that keeps what it is given, for tests to read: which emails the outbox sent.
final class RecordingEmailSender: EmailSender {
    private let sent = Mutex<[EmailMessage]>([])

    var messages: [EmailMessage] { sent.withLock { $0 } }

    func send(_ message: EmailMessage) async throws(EmailError) {
        sent.withLock { $0.append(message) }
    }

    /// The sent messages whose id names `kind` ("confirmation", "dispatched", …) for `reference`.
    func messages(_ kind: String, about reference: String) -> [EmailMessage] {
        messages.filter { $0.messageID.hasPrefix("\(reference).\(kind)") }
    }
}
