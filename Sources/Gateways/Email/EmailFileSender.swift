import Domain
import Glibc

/// The email sender for a laptop: each message becomes a file `<messageID>.eml` (the RFC 5322
/// bytes an SMTP server would receive) in `<data directory>/outbox-mail`, readable by any mail
/// client. Written atomically with mode 0600 (the body may be about the customer's health); a
/// message sent again finds its file there and is not written twice.
///
/// File I/O runs on the sender's own thread, never on Swift's cooperative pool.
public final class EmailFileSender: EmailSender {
    /// The folder under the data directory that holds the files.
    public static let directoryName = "outbox-mail"
    /// Most messages waiting for the writer thread; past it a send fails at once as unavailable.
    public static let maxQueuedMessages = 256

    /// Where the files go: `<data directory>/outbox-mail`.
    public let directory: String
    private let pool: BlockingThreadPool
    private let now: @Sendable () -> Instant

    /// A sender writing under `dataDirectory`, which must exist; the outbox folder is made (mode
    /// 0700) if missing. `now` gives the `Date` field (the wall clock unless a test fixes it).
    public init(dataDirectory: String, now: (@Sendable () -> Instant)? = nil) throws(EmailConfigurationError) {
        let directory = dataDirectory + "/" + Self.directoryName
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw EmailConfigurationError("cannot create \(directory): \(String(cString: strerror(errno)))")
        }
        var status = stat()
        guard stat(directory, &status) == 0, status.st_mode & S_IFMT == S_IFDIR, access(directory, W_OK | X_OK) == 0 else {
            throw EmailConfigurationError("\(directory) is not a directory this process can write")
        }
        self.directory = directory
        self.now = now ?? EmailDate.now
        self.pool = BlockingThreadPool(name: "email-file", threadCount: 1, queueCapacity: Self.maxQueuedMessages)
    }

    /// The file a message is (or will be) written to.
    public func path(forMessageID messageID: String) -> String {
        directory + "/" + messageID + ".eml"
    }

    /// Writes `message` to its file, unless a file of that message id is already there.
    public func send(_ message: EmailMessage) async throws(EmailError) {
        // The id names the file: it must not climb out of the directory.
        guard !message.messageID.contains("/") else {
            throw .rejected("the message id \(message.messageID.debugDescription) cannot name a file")
        }
        let bytes = try EmailWireFormat.encode(message, date: now())
        let directory = directory
        let path = path(forMessageID: message.messageID)
        let outcome = await pool.run { () -> Result<Void, EmailError> in
            do throws(EmailError) {
                try Self.write(bytes, to: path, in: directory)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        switch outcome {
        case .success(let result): try result.get()
        case .failure(.full(let capacity)): throw .unavailable("\(capacity) messages already wait to be written to \(directory)")
        case .failure(.closed): throw .unavailable("the email file sender is closed")
        }
    }

    /// Takes no new messages; those queued are still written.
    public func close() { pool.close() }

    /// Writes a hidden temporary file, flushes it, then links it under its final name: the name
    /// appears complete or not at all, and an existing file (the same message, sent before) is
    /// kept as it is, where `rename` would replace it.
    private static func write(_ bytes: [UInt8], to path: String, in directory: String) throws(EmailError) {
        if access(path, F_OK) == 0 { return }
        var template = Array((directory + "/.tmp-XXXXXX").utf8CString)
        // mkstemp creates the file with mode 0600 and O_EXCL.
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw failure("creating a file in \(directory)") }
        let temporary = String(cString: template.map { UInt8(bitPattern: $0) } + [0])
        defer { unlink(temporary) }
        let written = fill(fd, with: bytes)
        let writeErrno = errno
        Glibc.close(fd)
        guard written else { throw failure("writing \(temporary)", errno: writeErrno) }
        if link(temporary, path) != 0 && errno != EEXIST { throw failure("linking \(path)") }
        // The new name must survive a crash too: the outbox counts the message as sent.
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryFD >= 0 else { throw failure("opening \(directory)") }
        defer { Glibc.close(directoryFD) }
        guard fsync(directoryFD) == 0 else { throw failure("flushing \(directory)") }
    }

    /// Writes all of `bytes` to `fd` and flushes them to the disk; false with `errno` set when that failed.
    private static func fill(_ fd: Int32, with bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return fchmod(fd, 0o600) == 0 && fsync(fd) == 0
    }

    private static func failure(_ activity: String, errno code: Int32 = errno) -> EmailError {
        .unavailable("\(activity): \(String(cString: strerror(code)))")
    }
}
