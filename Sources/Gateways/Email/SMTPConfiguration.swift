/// Where and how `SMTPEmailSender` submits mail: the server, its protection and trust, the
/// credentials, and a named bound on every wait and every reply. Its description hides the password.
public struct SMTPConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// The server's host name or address; with TLS, the name its certificate must carry (unless `tlsServerName` is set).
    public var host: String
    /// The server's port; by default the one `security` implies (587, 465 or 25).
    public var port: Int
    public var security: SMTPSecurity
    /// The AUTH user name; nil sends without authenticating. Requires TLS.
    public var username: String?
    /// The AUTH password, from the environment or a secret store, never the command line.
    public var password: String?
    /// PEM CA certificates that verify the server; nil uses the system trust roots.
    public var trustRootsFile: String?
    /// The name checked against the server's certificate, when it differs from `host` (connecting by address).
    public var tlsServerName: String?
    /// The name we give in EHLO (RFC 5321 §4.1.1.1: our fully qualified domain name).
    public var heloName: String
    /// Longest time for the TCP connect and, with implicit TLS, the handshake.
    public var connectTimeoutMilliseconds: Int
    /// Longest wait for any one reply, or to send one command (RFC 5321 §4.5.3.2 allows servers
    /// minutes; a notification can wait for the next attempt instead).
    public var commandTimeoutMilliseconds: Int
    /// Longest time for a whole delivery, connect to the reply after the message, however the server trickles.
    public var sessionTimeoutMilliseconds: Int
    /// Most bytes in one reply line, CRLF included (RFC 5321 §4.5.3.1.5 sets 512; some servers exceed it).
    public var maxReplyLineBytes: Int
    /// Most lines in one multi-line reply (an EHLO reply lists one extension a line).
    public var maxReplyLines: Int
    /// Dedicated threads doing the blocking I/O: the most deliveries in flight at once.
    public var threadCount: Int
    /// Most messages waiting for a thread; past it a send fails at once as unavailable.
    public var maxQueuedMessages: Int

    public init(host: String, port: Int? = nil, security: SMTPSecurity = .startTLS, username: String? = nil,
                password: String? = nil, trustRootsFile: String? = nil, tlsServerName: String? = nil,
                heloName: String = "localhost", connectTimeoutMilliseconds: Int = 10_000,
                commandTimeoutMilliseconds: Int = 60_000, sessionTimeoutMilliseconds: Int = 120_000,
                maxReplyLineBytes: Int = 2_048, maxReplyLines: Int = 100, threadCount: Int = 2,
                maxQueuedMessages: Int = 256) {
        self.host = host
        self.port = port ?? security.defaultPort
        self.security = security
        self.username = username
        self.password = password
        self.trustRootsFile = trustRootsFile
        self.tlsServerName = tlsServerName
        self.heloName = heloName
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.commandTimeoutMilliseconds = commandTimeoutMilliseconds
        self.sessionTimeoutMilliseconds = sessionTimeoutMilliseconds
        self.maxReplyLineBytes = maxReplyLineBytes
        self.maxReplyLines = maxReplyLines
        self.threadCount = threadCount
        self.maxQueuedMessages = maxQueuedMessages
    }

    /// The settings, with the password replaced: configurations end up in logs.
    public var description: String {
        "SMTPConfiguration(\(host):\(port), \(security.rawValue), user: \(username ?? "none"), "
            + "password: \(password == nil ? "none" : "<redacted>"), trust roots: \(trustRootsFile ?? "system"), "
            + "EHLO \(heloName))"
    }
}
