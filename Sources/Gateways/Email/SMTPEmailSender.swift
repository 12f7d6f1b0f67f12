import Domain
import Glibc
import RPCCore

/// Delivers each message to an SMTP server (RFC 5321) over TLS: STARTTLS or implicit TLS,
/// the certificate verified against the system or configured roots and the server name, AUTH
/// when credentials are configured. One connection per message.
///
/// The blocking socket work runs on the sender's own threads, never on Swift's cooperative pool;
/// every wait is bounded by the configuration's timeouts.
public final class SMTPEmailSender: EmailSender {
    /// The server, trust, credentials and limits the sender was made with.
    public let configuration: SMTPConfiguration
    private let tlsContext: TLSContext
    private let pool: BlockingThreadPool
    private let now: @Sendable () -> Instant

    /// A sender with its threads started; the trust roots are read now, so a bad CA file shows at
    /// startup. `now` gives the `Date` field (the wall clock unless a test fixes it).
    public init(configuration: SMTPConfiguration, now: (@Sendable () -> Instant)? = nil) throws(EmailConfigurationError) {
        try Self.validate(configuration)
        do {
            // No ALPN: SMTP has no protocol to negotiate.
            tlsContext = try TLSContext(configuration: TLSConfiguration(trustRootsFile: configuration.trustRootsFile,
                                                                        applicationProtocols: []),
                                        isServer: false)
        } catch {
            throw EmailConfigurationError("SMTP TLS: \(error)")
        }
        // TLS writes with write(2): a server that vanished must not kill the process with SIGPIPE.
        _ = signal(SIGPIPE, SIG_IGN)
        self.configuration = configuration
        self.now = now ?? EmailDate.now
        self.pool = BlockingThreadPool(name: "smtp", threadCount: configuration.threadCount,
                                       queueCapacity: configuration.maxQueuedMessages)
    }

    /// Delivers `message` in one SMTP session; returns once the server has accepted it.
    public func send(_ message: EmailMessage) async throws(EmailError) {
        let bytes = try EmailWireFormat.encode(message, date: now())
        let configuration = configuration
        let tlsContext = tlsContext
        let outcome = await pool.run { () -> Result<Void, EmailError> in
            do throws(EmailError) {
                try Self.deliver(bytes, sender: message.from.address, recipient: message.to.address,
                                 messageID: message.messageID, configuration: configuration, tlsContext: tlsContext)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        switch outcome {
        case .success(let result): try result.get()
        case .failure(.full(let capacity)): throw .unavailable("\(capacity) messages already wait for the SMTP server")
        case .failure(.closed): throw .unavailable("the SMTP sender is closed")
        }
    }

    /// Takes no new messages; those in flight finish.
    public func close() { pool.close() }

    /// Runs on a pool thread: connect, converse, close (when `connection` goes).
    private static func deliver(_ bytes: [UInt8], sender: String, recipient: String, messageID: String,
                                configuration: SMTPConfiguration, tlsContext: TLSContext) throws(EmailError) {
        let peer = SocketAddress(host: configuration.host, port: configuration.port).description
        let deadline = HTTPDeadline(afterMilliseconds: configuration.sessionTimeoutMilliseconds,
                                    explanation: "delivering \(messageID) to the SMTP server \(peer) took over "
                                        + "\(configuration.sessionTimeoutMilliseconds) ms")
        let connection = try SMTPConnection.open(configuration, tlsContext: tlsContext, sessionDeadline: deadline)
        try SMTPSession(connection: connection, configuration: configuration, tlsContext: tlsContext)
            .deliver(bytes, sender: sender, recipient: recipient)
    }

    private static func validate(_ configuration: SMTPConfiguration) throws(EmailConfigurationError) {
        let limits = [("connectTimeoutMilliseconds", configuration.connectTimeoutMilliseconds),
                      ("commandTimeoutMilliseconds", configuration.commandTimeoutMilliseconds),
                      ("sessionTimeoutMilliseconds", configuration.sessionTimeoutMilliseconds),
                      ("maxReplyLines", configuration.maxReplyLines),
                      ("threadCount", configuration.threadCount),
                      ("maxQueuedMessages", configuration.maxQueuedMessages)]
        for (name, value) in limits where value < 1 {
            throw EmailConfigurationError("SMTP \(name) must be at least 1, not \(value)")
        }
        // RFC 5321 §4.5.3.1.5: servers may send reply lines of 512 bytes.
        guard configuration.maxReplyLineBytes >= 512 else {
            throw EmailConfigurationError("SMTP maxReplyLineBytes must be at least 512, not \(configuration.maxReplyLineBytes)")
        }
        guard !configuration.host.isEmpty, (1...65535).contains(configuration.port) else {
            throw EmailConfigurationError("the SMTP server needs a host and a port from 1 to 65535")
        }
        guard !configuration.heloName.isEmpty,
              configuration.heloName.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw EmailConfigurationError("the EHLO name \(configuration.heloName.debugDescription) must be a domain name")
        }
        let address = SocketAddress(host: configuration.host, port: configuration.port)
        if configuration.security == .none && !address.isLoopback {
            throw EmailConfigurationError("SMTP without TLS is allowed only to a loopback host, not \(configuration.host); "
                                          + "use starttls or tls")
        }
        switch (configuration.username, configuration.password) {
        case (nil, nil):
            break
        case (let username?, let password?):
            guard configuration.security != .none else {
                throw EmailConfigurationError("SMTP credentials are sent only over TLS; use starttls or tls")
            }
            guard !username.isEmpty, !(username + password).utf8.contains(where: { $0 == 0 || $0 == 0x0D || $0 == 0x0A }) else {
                throw EmailConfigurationError("the SMTP user name is empty or a credential holds NUL or a line break")
            }
        default:
            throw EmailConfigurationError("an SMTP user name and password go together")
        }
    }
}
