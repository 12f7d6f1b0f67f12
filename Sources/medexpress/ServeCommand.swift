import Domain
import Gateways
import Glibc
import Generated
import MedExpress
import RPCCore
import RPCServer
import Store

/// `medexpress serve`: the MedExpress RPC server.
struct ServeCommand {
    let data: DataStore
    var dataDirectory: String { data.dataDirectory }
    let address: SocketAddress
    let plaintext: Bool
    /// Puts the demo's discount code and stock in place (a laptop only).
    let demo: Bool
    let certificateFile: String?
    let keyFile: String?
    let clientCAFile: String?
    let staffCACertificateFile: String?
    let staffCAKeyFile: String?
    let clientCertificateMode: ClientCertificateMode
    let payments: PaymentsChoice
    let courier: CourierChoice
    let mailChoice: MailChoice
    let mail: MailSettings
    let options: ServerOptions

    /// Which payment gateway serve talks to.
    enum PaymentsChoice {
        /// The built-in gateway that honours Stripe's test cards, in memory: for a laptop only.
        case local
        /// Stripe's REST API at `baseURL` with the secret key from the environment.
        case stripe(baseURL: String, trustRootsFile: String?)
    }

    /// Which courier serve books parcels with.
    enum CourierChoice {
        /// The built-in courier that issues valid Royal Mail tracking numbers: for a laptop only.
        case local
        /// Royal Mail Click & Drop at `baseURL` with the API key from the environment.
        case royalMail(baseURL: String, trustRootsFile: String?)
    }

    /// Where customer emails go.
    enum MailChoice {
        /// `.eml` files under DIR/outbox-mail: for a laptop.
        case files
        /// An SMTP server (STARTTLS by default).
        case smtp(host: String, port: Int?, security: SMTPSecurity, username: String?, trustRootsFile: String?)
    }

    /// Where the SMTP password comes from.
    static let smtpPasswordVariable = "MEDEXPRESS_SMTP_PASSWORD"

    /// Where the Click & Drop API key comes from.
    static let royalMailKeyVariable = "MEDEXPRESS_ROYAL_MAIL_API_KEY"

    /// Where Stripe's secret key comes from: never the command line, which `ps` shows.
    static let stripeKeyVariable = "MEDEXPRESS_STRIPE_SECRET_KEY"

    init(_ rawArguments: ArraySlice<String>) throws(UsageError) {
        var arguments = try Arguments(rawArguments, booleanFlags: ["plaintext", "demo"])
        data = DataStore(&arguments)
        let listen = arguments.string("listen", default: "127.0.0.1:50051")
        guard let address = SocketAddress(parsing: listen) else { throw UsageError("--listen takes HOST:PORT, got \(listen)") }
        self.address = address
        plaintext = arguments.flag("plaintext")
        demo = arguments.flag("demo")
        certificateFile = arguments.string("tls-cert")
        keyFile = arguments.string("tls-key")
        clientCAFile = arguments.string("client-ca")
        staffCACertificateFile = arguments.string("staff-ca-cert")
        staffCAKeyFile = arguments.string("staff-ca-key")
        switch arguments.string("client-cert-mode", default: "optional") {
        case "none": clientCertificateMode = .none
        case "optional": clientCertificateMode = .optional
        case "required": clientCertificateMode = .required
        case let other: throw UsageError("--client-cert-mode must be none, optional or required, got \(other)")
        }
        switch arguments.string("payments", default: "local") {
        case "local": payments = .local
        case "stripe":
            payments = .stripe(baseURL: arguments.string("stripe-base-url", default: StripeConfiguration.defaultBaseURL),
                               trustRootsFile: arguments.string("stripe-ca"))
        case let other: throw UsageError("--payments must be local or stripe, got \(other)")
        }
        switch arguments.string("courier", default: "local") {
        case "local": courier = .local
        case "royal-mail":
            courier = .royalMail(baseURL: arguments.string("royal-mail-base-url", default: RoyalMailConfiguration.defaultBaseURL),
                                 trustRootsFile: arguments.string("royal-mail-ca"))
        case let other: throw UsageError("--courier must be local or royal-mail, got \(other)")
        }
        switch arguments.string("mail", default: "files") {
        case "files": mailChoice = .files
        case "smtp":
            guard let host = arguments.string("smtp-host") else { throw UsageError("--mail smtp needs --smtp-host") }
            var port: Int?
            if let text = arguments.string("smtp-port") {
                guard let value = Int(text), (1...65535).contains(value) else { throw UsageError("--smtp-port takes a port, got \(text)") }
                port = value
            }
            let securityName = arguments.string("smtp-security", default: "starttls")
            guard let security = SMTPSecurity(rawValue: securityName) else {
                throw UsageError("--smtp-security must be starttls, tls or none, got \(securityName)")
            }
            mailChoice = .smtp(host: host, port: port, security: security, username: arguments.string("smtp-username"),
                               trustRootsFile: arguments.string("smtp-ca"))
        case let other: throw UsageError("--mail must be files or smtp, got \(other)")
        }
        var mail = MailSettings()
        if let from = arguments.string("mail-from") { mail.from = EmailAddress(from, name: "MedExpress") }
        if let domain = arguments.string("mail-domain") { mail.domain = domain }
        if let gp = arguments.string("gp-letters-to") { mail.gpLetters = EmailAddress(gp, name: "MedExpress clinical team") }
        self.mail = mail
        options = try ServerOptions(&arguments)
        try arguments.rejectUnknown()
        if plaintext && !address.isLoopback {
            throw UsageError("--plaintext is allowed on loopback addresses only (127.0.0.0/8, ::1, localhost); \(address.host) needs TLS")
        }
        if (certificateFile == nil) != (keyFile == nil) {
            throw UsageError("--tls-cert and --tls-key go together")
        }
        if (staffCACertificateFile == nil) != (staffCAKeyFile == nil) {
            throw UsageError("--staff-ca-cert and --staff-ca-key go together")
        }
    }

    /// How often stale sign-in throttle rows are deleted.
    static let housekeepingInterval: Duration = .seconds(600)
    /// How often overdue orders are looked for.
    static let expiryInterval: Duration = .seconds(60)

    /// Threads for password hashing and other blocking work: scrypt holds 128 MiB while it runs,
    /// so this bounds that memory too.
    static let blockingThreads = 2
    /// Blocking jobs that may wait; past it, sign-ins get RESOURCE_EXHAUSTED rather than a queue.
    static let blockingQueueCapacity = 64

    func run() async throws {
        let log = Logger(component: "serve", minimumLevel: options.logLevel)
        var tls: TLSConfiguration?
        if !plaintext {
            let pki = DevelopmentPKI(dataDirectory: dataDirectory)
            if certificateFile == nil { try pki.createIfMissing(log: log) }
            tls = .server(certificateChainFile: certificateFile ?? pki.serverCertificatePath,
                          privateKeyFile: keyFile ?? pki.serverKeyPath,
                          trustRootsFile: clientCertificateMode == .none ? nil : (clientCAFile ?? pki.caCertificatePath),
                          clientCertificateMode: clientCertificateMode)
        }
        // The database and the keys first: a server that cannot keep data safely does not start.
        let store = try await data.openDatabase(log: log)
        let vault: Vault
        let blocking: BlockingPool
        do {
            vault = try await Vault.open(master: try data.masterKey(create: true), store: store)
            blocking = try await BlockingPool.start(name: "blocking", threadCount: Self.blockingThreads,
                                                    queueCapacity: Self.blockingQueueCapacity)
        } catch {
            await store.close()
            throw error
        }
        let sessions = Sessions(store: store)
        let catalog = try Catalog.embedded()
        if demo {
            for line in try await DemoStock.seed(store: store, catalog: catalog) { printLine("demo: \(line)") }
            if tls == nil {
                printLine("demo: no demo staff without TLS (staff sign in with client certificates)")
            } else {
                for line in try await DemoStaff.ensure(dataDirectory: dataDirectory, store: store, vault: vault, blocking: blocking,
                                                       log: log) {
                    printLine(line)
                }
            }
        }
        let gateway = try paymentGateway(log: log, store: store)
        let journey = Journey(store: store, vault: vault, catalog: catalog, payments: gateway, courier: try courierGateway(log: log),
                              mail: mail)
        let outbox = Outbox(store: store, cipher: vault.cipher, payments: gateway, email: try emailSender(log: log),
                            log: Logger(component: "outbox", minimumLevel: options.logLevel))
        // CreateStaff signs staff certificate requests with the CA that client certificates are
        // checked against: the given one, else the development CA when this server made it.
        let pki = DevelopmentPKI(dataDirectory: dataDirectory)
        let staffAuthority: CertificateAuthority?
        if let certificate = staffCACertificateFile, let key = staffCAKeyFile {
            staffAuthority = try ClientCertificateFiles.authority(certificateFile: certificate, keyFile: key)
        } else if !plaintext, clientCAFile == nil, access(pki.caKeyPath, R_OK) == 0 {
            staffAuthority = try ClientCertificateFiles.authority(certificateFile: pki.caCertificatePath, keyFile: pki.caKeyPath)
        } else {
            staffAuthority = nil
        }
        let health = HealthService()
        var services: [any RPCService] = [health, AuthService(store: store, vault: vault, sessions: sessions, blocking: blocking,
                                                                      staffAuthority: staffAuthority),
                                         AdminService(journey: journey), CatalogService(catalog: catalog),
                                         ConsultationService(journey: journey), OrderService(journey: journey, outbox: outbox),
                                         PrescriberService(journey: journey, outbox: outbox), PharmacyService(journey: journey, outbox: outbox),
                                         CourierService(journey: journey, outbox: outbox), SupportService(journey: journey, outbox: outbox)]
        // Reflection lists every service served, itself included.
        let reflectionNames = [Grpc_Reflection_V1_ServerReflection.descriptor.fullName,
                               Grpc_Reflection_V1alpha_ServerReflection.descriptor.fullName]
        let servedNames = Set(services.flatMap { $0.methods.map(\.descriptor.service) }).union(reflectionNames)
        services.append(contentsOf: ReflectionService.services(serving: servedNames.sorted()))
        var configuration = ServerConfiguration(address: address, tls: tls, eventLoopCount: options.eventLoops)
        configuration.pinToCPUs = options.pinCPUs
        configuration.limits = options.limits
        let server = try Server(configuration: configuration, services: services,
                                interceptors: [CallLoggingInterceptor(log: Logger(component: "rpc", minimumLevel: options.logLevel)),
                                               AuthorizationInterceptor(resolver: sessions), StoreErrorInterceptor()],
                                log: Logger(component: "server", minimumLevel: options.logLevel))
        // Health answers for the server as a whole ("") and for each service it serves.
        for name in server.serviceNames.sorted() { health.setStatus(.serving, forService: name) }
        try await server.start()
        printLine("medexpress listening on \(SocketAddress(host: address.host, port: server.port)) (\(tls == nil ? "h2c" : "tls"))")
        // Housekeeping while serving: sign-in throttle rows nothing remembers any more.
        let housekeeping = Task.detached {
            while !Task.isCancelled {
                _ = try? await SignInThrottle.prune(store: store, now: WallClock.nowMicroseconds())
                try? await Task.sleep(for: Self.housekeepingInterval)
            }
        }
        // Orders waiting too long for an answer or an ID check are cancelled and released.
        let expiry = OrderExpiry(journey: journey, outbox: outbox)
        let expiring = Task.detached {
            while !Task.isCancelled {
                do {
                    try await expiry.cancelOverdue()
                } catch {
                    log.warning("cancelling overdue orders failed", ["error": "\(error)"])
                }
                try? await Task.sleep(for: Self.expiryInterval)
            }
        }
        // Deferred work (releasing payment holds) queued by committed changes.
        let dispatcher = Task.detached { await outbox.run() }
        let signal = await Signals.waitForTermination()
        housekeeping.cancel()
        dispatcher.cancel()
        expiring.cancel()
        await housekeeping.value
        await expiring.value
        await dispatcher.value
        log.info("shutting down", ["signal": signal, "grace_seconds": "\(options.shutdownGrace.components.seconds)"])
        health.enterShutdown()
        await server.shutdown(grace: options.shutdownGrace)
        await blocking.close()
        await store.close()
    }

    /// The payment gateway chosen by --payments.
    func paymentGateway(log: Logger, store: any StoreEngine) throws -> any PaymentGateway {
        switch payments {
        case .local:
            log.warning("payments: the built-in local gateway (Stripe's test cards, kept in memory); use --payments stripe in production")
            if store.dialect == .postgres {
                log.warning("payments: the local gateway keeps each process's payments to itself; with several instances on one database, a capture queued by one cannot be done by another: use --payments stripe")
            }
            return LocalPaymentGateway()
        case .stripe(let baseURL, let trustRootsFile):
            guard let key = getenv(Self.stripeKeyVariable).map({ String(cString: $0) }), !key.isEmpty else {
                throw UsageError("--payments stripe needs the secret key in \(Self.stripeKeyVariable)")
            }
            return try StripePaymentGateway(configuration: StripeConfiguration(secretKey: key, baseURL: baseURL, trustRootsFile: trustRootsFile))
        }
    }

    /// The courier chosen by --courier.
    func courierGateway(log: Logger) throws -> any CourierGateway {
        switch courier {
        case .local:
            log.warning("courier: the built-in local courier (valid Royal Mail tracking numbers, no parcels move); use --courier royal-mail in production")
            return LocalCourierGateway()
        case .royalMail(let baseURL, let trustRootsFile):
            guard let key = getenv(Self.royalMailKeyVariable).map({ String(cString: $0) }), !key.isEmpty else {
                throw UsageError("--courier royal-mail needs the Click & Drop API key in \(Self.royalMailKeyVariable)")
            }
            return try RoyalMailClickAndDropGateway(configuration: RoyalMailConfiguration(apiKey: key, baseURL: baseURL,
                                                                                          trustRootsFile: trustRootsFile))
        }
    }

    /// The email sender chosen by --mail.
    func emailSender(log: Logger) throws -> any EmailSender {
        switch mailChoice {
        case .files:
            log.warning("mail: written as .eml files under \(dataDirectory)/\(EmailFileSender.directoryName); use --mail smtp in production")
            return try EmailFileSender(dataDirectory: dataDirectory)
        case .smtp(let host, let port, let security, let username, let trustRootsFile):
            let password = getenv(Self.smtpPasswordVariable).map { String(cString: $0) }
            if username != nil && (password ?? "").isEmpty {
                throw UsageError("--smtp-username needs the password in \(Self.smtpPasswordVariable)")
            }
            return try SMTPEmailSender(configuration: SMTPConfiguration(host: host, port: port, security: security, username: username,
                                                                        password: username == nil ? nil : password,
                                                                        trustRootsFile: trustRootsFile, heloName: mail.domain))
        }
    }
}
