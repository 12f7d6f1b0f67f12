import ClientKit
import Domain
import Gateways
import Generated
import MedExpress
import RPCCore
import RPCServer
import Store
import Trust

/// A server as `serve` assembles it (vault, sessions, AuthService, the authorization
/// interceptor), on a given database, with a client channel to it. Password hashing uses a small
/// scrypt cost unless `realPasswordCost`: the cost itself has its own test in TrustTests.
struct TestDeployment {
    static let master = try! MasterKey(base64: Array(repeating: "Q", count: 42).joined() + "A=")
    static let cheapPasswords = PasswordHasher(parameters: ScryptParameters(log2Cost: 10, blockSize: 8, parallelism: 1))

    let store: any StoreEngine
    let vault: Vault
    let server: Server
    let channel: GRPCChannel
    let blocking: BlockingPool
    /// The journey's clock: real time moved on by `clock.advance`.
    let clock: TestClock
    let payments: RecordingPaymentGateway
    let emails: RecordingEmailSender
    let outbox: Outbox
    let journey: Journey
    let pki: TestPKI?
    var auth: Medexpress_V1_AuthServiceClient { Medexpress_V1_AuthServiceClient(channel: channel) }
    var catalog: Medexpress_V1_CatalogServiceClient { Medexpress_V1_CatalogServiceClient(channel: channel) }
    var consultations: Medexpress_V1_ConsultationServiceClient { Medexpress_V1_ConsultationServiceClient(channel: channel) }
    var orders: Medexpress_V1_OrderServiceClient { Medexpress_V1_OrderServiceClient(channel: channel) }
    var support: Medexpress_V1_SupportServiceClient { Medexpress_V1_SupportServiceClient(channel: channel) }

    /// With `pki`, the server speaks TLS and accepts client certificates from its CA: staff can
    /// sign in (`signInStaff`).
    static func start(on store: any StoreEngine, policy: SessionPolicy = SessionPolicy(),
                      realPasswordCost: Bool = false, pki: TestPKI? = nil,
                      paymentGateway: (any PaymentGateway)? = nil) async throws -> TestDeployment {
        let vault = try await Vault.open(master: master, store: store)
        let blocking = try await BlockingPool.start(name: "test-blocking", threadCount: 2, queueCapacity: 64)
        let sessions = Sessions(store: store, policy: policy)
        let auth = AuthService(store: store, vault: vault, sessions: sessions, blocking: blocking,
                               passwords: realPasswordCost ? PasswordHasher() : cheapPasswords)
        let clock = TestClock()
        let payments = paymentGateway.map { RecordingPaymentGateway(inner: $0) } ?? RecordingPaymentGateway()
        let journey = Journey(store: store, vault: vault, catalog: try Catalog.embedded(), payments: payments,
                              courier: LocalCourierGateway(), clock: { clock.now() })
        let emails = RecordingEmailSender()
        let outbox = Outbox(store: store, cipher: vault.cipher, payments: payments, email: emails, clock: { clock.now() },
                            log: Logger(component: "outbox", minimumLevel: .error))
        let configuration = ServerConfiguration(address: SocketAddress(host: "127.0.0.1", port: 0), tls: pki?.serverTLS, eventLoopCount: 1)
        let services: [any RPCService] = [auth, CatalogService(catalog: journey.catalog), ConsultationService(journey: journey),
                                          OrderService(journey: journey, outbox: outbox), PrescriberService(journey: journey, outbox: outbox),
                                          PharmacyService(journey: journey, outbox: outbox),
                                          CourierService(journey: journey, outbox: outbox), AdminService(journey: journey),
                                          SupportService(journey: journey, outbox: outbox)]
        let server = try Server(configuration: configuration, services: services,
                                interceptors: [AuthorizationInterceptor(resolver: sessions), StoreErrorInterceptor()],
                                log: Logger(component: "test", minimumLevel: .error))
        try await server.start()
        var channelConfiguration = ChannelConfiguration()
        channelConfiguration.retryPolicy = .disabled
        let channel = try GRPCChannel(target: SocketAddress(host: "127.0.0.1", port: server.port), tls: pki?.clientTLS(),
                                      configuration: channelConfiguration)
        return TestDeployment(store: store, vault: vault, server: server, channel: channel, blocking: blocking, clock: clock,
                              payments: payments, emails: emails, outbox: outbox, journey: journey, pki: pki)
    }

    func stop() async {
        await channel.close()
        await server.shutdown(grace: .seconds(1))
        await blocking.close()
    }

    /// Metadata carrying `token` as a bearer credential.
    static func bearer(_ token: String) -> Metadata {
        var metadata = Metadata()
        metadata.add("authorization", "Bearer \(token)")
        return metadata
    }

    /// A valid registration for `email`.
    static func registration(_ email: String, requestID: String = "req-\(UInt64.random(in: 0...UInt64.max))",
                             password: String = "correct horse battery", born: (Int32, Int32, Int32) = (1990, 4, 12))
        -> Medexpress_V1_RegisterCustomerRequest {
        var request = Medexpress_V1_RegisterCustomerRequest()
        request.requestId = requestID
        request.email = email
        request.password = password
        request.givenName = "Ada"
        request.familyName = "Lovelace-Pharmacy"
        request.dateOfBirth = .with { $0.year = born.0; $0.month = born.1; $0.day = born.2 }
        request.phone = "+447700900123"
        request.address = .with { $0.lines = ["12 Example Street"]; $0.town = "Leeds"; $0.postcode = "LS1 4AP" }
        return request
    }

    static func login(_ email: String, password: String = "correct horse battery") -> Medexpress_V1_LoginRequest {
        var request = Medexpress_V1_LoginRequest()
        request.principal = .email(email)
        request.password = password
        return request
    }
}
