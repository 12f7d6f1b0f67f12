import ClientKit
import Glibc

/// Where and as whom ctl signs in: the server, its CA and name, the staff member's username,
/// client certificate and key, and a TOTP code given on the command line (for scripts).
struct CtlConnection {
    static let passwordVariable = "MEDEXPRESS_STAFF_PASSWORD"

    let target: SocketAddress
    let caFile: String
    let serverName: String
    let username: String
    let certificateFile: String
    let keyFile: String
    let totpCode: String?

    /// Reads the sign-in options out of `arguments`.
    init(_ arguments: inout Arguments) throws(UsageError) {
        let server = arguments.string("server", default: "127.0.0.1:50051")
        guard let target = SocketAddress(parsing: server), target.port != 0 else {
            throw UsageError("--server must be HOST:PORT, got \(server)")
        }
        self.target = target
        caFile = arguments.string("ca", default: "./data/tls/ca.pem")
        serverName = arguments.string("server-name", default: "localhost")
        let username = arguments.string("user")
        let certificateFile = arguments.string("cert")
        let keyFile = arguments.string("key")
        totpCode = arguments.string("totp-code")
        guard let username, !username.isEmpty else { throw UsageError("ctl needs --user USERNAME (your staff username)") }
        self.username = username
        self.certificateFile = certificateFile ?? "./data/staff/\(username).pem"
        self.keyFile = keyFile ?? "./data/staff/\(username).key"
        if let totpCode, totpCode.count != 6 || !totpCode.allSatisfy(\.isASCIIDigit) {
            throw UsageError("--totp-code must be the 6 digits your authenticator shows")
        }
    }

    /// Signs in (at the first call), runs `body`, then signs out and closes the channel.
    func withSession(_ body: (CtlSession) async throws -> Void) async throws {
        for (path, what) in [(caFile, "the server's CA (--ca)"), (certificateFile, "your client certificate (--cert)"),
                             (keyFile, "your private key (--key)")] where access(path, R_OK) != 0 {
            throw CtlFailure("cannot read \(path), \(what): \(String(cString: strerror(errno)))")
        }
        let password = try Self.password(for: username)
        let codes = CtlCodeSource(username: username, given: totpCode)
        var configuration = ChannelConfiguration()
        configuration.retryPolicy = .disabled
        let credentials = StaffSessionCredentials(username: username, password: password) { try await codes.next() }
        configuration.credentials = credentials
        let tls = TLSConfiguration.client(trustRootsFile: caFile, serverName: serverName,
                                          certificateChainFile: certificateFile, privateKeyFile: keyFile)
        let channel = try GRPCChannel(target: target, tls: tls, configuration: configuration)
        let session = CtlSession(channel: channel, target: target)
        do {
            try await body(session)
        } catch {
            try? await credentials.signOut()
            await channel.close(grace: .seconds(2))
            throw error
        }
        try? await credentials.signOut()
        await channel.close(grace: .seconds(2))
    }

    private static func password(for username: String) throws -> String {
        if let value = getenv(passwordVariable) {
            return String(cString: value)
        }
        guard let typed = try CtlTerminal.ask("password for \(username): ", echo: false), !typed.isEmpty else {
            throw CtlFailure("no password: type it when asked or set \(passwordVariable)")
        }
        return typed
    }
}

/// The TOTP codes of one ctl run: the `--totp-code` given, else typed on the terminal. Each code
/// signs in once, so a second sign-in (a session that ran out) asks again rather than reuse it.
actor CtlCodeSource {
    private let username: String
    private var given: String?

    init(username: String, given: String?) {
        self.username = username
        self.given = given
    }

    func next() throws -> String {
        if let code = given {
            given = nil
            return code
        }
        guard let typed = try CtlTerminal.ask("TOTP code for \(username): ", echo: true), !typed.isEmpty else {
            throw CtlFailure("no TOTP code: type the code your authenticator shows, or pass --totp-code")
        }
        return typed.filter { $0 != " " }
    }
}

/// A signed-in staff member's channel; `call` turns every gRPC status into a message a person
/// can act on.
struct CtlSession {
    let channel: GRPCChannel
    let target: SocketAddress

    /// Runs one call; a failure becomes a `CtlFailure` that says what to do. `role` is the role
    /// the call needs, named when the server says PERMISSION_DENIED.
    func call<Result>(_ what: String, needs role: String, _ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let status as Status {
            throw CtlFailure(Self.message(for: status, doing: what, role: role, target: target))
        } catch let failure as CtlFailure {
            throw failure
        } catch {
            throw CtlFailure("\(what) failed: \(error)")
        }
    }

    /// A fresh id for a request that changes something: the server applies each id once.
    static func requestID() -> String {
        let digits = Array("0123456789abcdef")
        var generator = SystemRandomNumberGenerator()
        return "ctl-" + String((0..<24).map { _ in digits[Int(generator.next() % 16)] })
    }

    static func message(for status: Status, doing what: String, role: String, target: SocketAddress) -> String {
        let detail = status.message.isEmpty ? "" : " (\(status.message))"
        switch status.code {
        case .unauthenticated:
            return "sign-in refused: check the password, the TOTP code and that --cert is yours\(detail)"
        case .permissionDenied:
            return "your role cannot do this (needs \(role))\(detail)"
        case .notFound:
            return "\(what): not found\(detail)"
        case .invalidArgument, .outOfRange:
            return "\(what): the server refused the request\(detail)"
        case .failedPrecondition:
            return "\(what): not possible in the order's or ticket's current state\(detail)"
        case .alreadyExists, .aborted:
            return "\(what): someone else changed it at the same time; look again and retry\(detail)"
        case .unavailable:
            return "\(what): cannot reach the server at \(target)\(detail); is serve running, and are --server, --ca and --server-name right?"
        case .deadlineExceeded:
            return "\(what): the server did not answer in time\(detail)"
        case .resourceExhausted:
            return "\(what): a limit was reached or the server is busy; try again shortly\(detail)"
        case .unimplemented:
            return "\(what): this server does not offer it\(detail)"
        case .cancelled:
            return "\(what): cancelled\(detail)"
        default:
            return "\(what) failed on the server (\(DemoJourney.statusName(status.code)))\(detail)"
        }
    }
}

private extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
