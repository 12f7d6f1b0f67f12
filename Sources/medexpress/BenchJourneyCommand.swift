import ClientKit
import Glibc
import Trust

/// `medexpress bench-journey`: the whole order journey as a load test, against a running
/// `serve --demo` whose data directory `scripts/demo-data.sh` filled. `customers` customers are
/// registered (in parallel) and signed in before the clock starts; then `orders` orders go through
/// the whole flow, one customer per worker, `customers` at a time: StartConsultation, RecordAnswer
/// for every question of the treatment's questionnaire (harmless answers), SubmitConsultation,
/// Checkout (`pm_card_visa`), Approve (the demo prescriber: certificate, password and TOTP),
/// StartDispensing, VerifyItem (the prescription's GTIN), CompleteDispensing, CreateShipment (a
/// PHARMACY_SYSTEM service account) and three tracking events up to DELIVERED (a COURIER service
/// account). Stock is topped up with ReceiveStock before the clock starts, so no order waits for it.
///
/// One JSON line: completed orders, seconds, orders per second, p50/p99 of each call (ms) and of
/// a whole order, and the errors (an order whose step fails is counted as an error and the worker
/// goes on with the next one).
struct BenchJourneyCommand {
    static let usage = "--server HOST:PORT --data-dir DIR [--customers C] [--orders N] [--treatments T,T] "
        + "[--server-name NAME] [--prescriber USER] [--pharmacy-account NAME] [--courier-account NAME]; one JSON line"
    static let callTimeout: Duration = .seconds(60)
    static let deliveryOption = "royal-mail-1st-class"
    static let card = "pm_card_visa"
    /// The calls whose latencies are reported, in journey order.
    static let calls = ["StartConsultation", "RecordAnswer", "SubmitConsultation", "Checkout", "Approve", "StartDispensing",
                        "VerifyItem", "CompleteDispensing", "CreateShipment", "RecordTrackingEvent"]

    let target: SocketAddress
    let dataDirectory: String
    let serverName: String
    let customers: Int
    let orders: Int
    let treatments: [String]
    let prescriber: String
    let pharmacyAccount: String
    let courierAccount: String

    init(_ rawArguments: ArraySlice<String>) throws(UsageError) {
        var arguments = try Arguments(rawArguments, booleanFlags: [])
        let server = arguments.string("server", default: "127.0.0.1:50051")
        guard let target = SocketAddress(parsing: server), target.port != 0 else {
            throw UsageError("--server must be HOST:PORT, got \(server)")
        }
        self.target = target
        dataDirectory = arguments.string("data-dir", default: "./data")
        serverName = arguments.string("server-name", default: "localhost")
        customers = try arguments.integer("customers", default: 8, range: 1...64)
        orders = try arguments.integer("orders", default: 200, range: 1...1_000_000)
        treatments = arguments.string("treatments", default: "erectile-dysfunction,hair-loss")
            .split(separator: ",").map { String($0) }.filter { !$0.isEmpty }
        guard !treatments.isEmpty else { throw UsageError("--treatments needs at least one treatment id") }
        prescriber = arguments.string("prescriber", default: "demo-prescriber")
        pharmacyAccount = arguments.string("pharmacy-account", default: "demo-pharmacy-system")
        courierAccount = arguments.string("courier-account", default: "bench-courier")
        try arguments.rejectUnknown()
    }

    func run() async throws {
        let files = try DemoFiles(dataDirectory: dataDirectory)
        try files.require(staff: [prescriber], serviceAccounts: [pharmacyAccount, courierAccount]) { account in
            "scripts/demo-data.sh, `medexpress service-account add --name \(account) --role …` and serve make these"
        }
        // `require` checked the prescriber's secret is there.
        let prescriberSecret = files.totpSecrets[prescriber]!
        let serverTLS = TLSConfiguration.client(trustRootsFile: files.caFile, serverName: serverName)
        var plain = ChannelConfiguration()
        plain.retryPolicy = .disabled

        // The catalog: each treatment's questionnaire and products.
        let publicChannel = try GRPCChannel(target: target, tls: serverTLS, configuration: plain)
        let catalog = Medexpress_V1_CatalogServiceClient(channel: publicChannel)
        let auth = Medexpress_V1_AuthServiceClient(channel: publicChannel)
        var plans: [BenchTreatment] = []
        for id in treatments {
            let treatment = try await Self.setUp("GetTreatment \(id)") {
                try await catalog.getTreatment(.with { $0.treatmentId = id }, options: Self.options)
            }
            plans.append(BenchTreatment(id: id, questions: treatment.questionnaire?.questions ?? [],
                                        products: treatment.medications.flatMap { $0.products.map(\.id) }))
        }

        // The pharmacy system and the courier (client certificates), the prescriber (certificate,
        // password and TOTP): one channel each, shared by every worker.
        let pharmacyChannel = try GRPCChannel(
            target: target,
            serviceAccount: ServiceAccountCredentials(certificateChainFile: files.serviceAccountCertificate(pharmacyAccount),
                                                      privateKeyFile: files.serviceAccountKey(pharmacyAccount),
                                                      trustRootsFile: files.caFile, serverName: serverName),
            configuration: plain)
        let pharmacy = Medexpress_V1_PharmacyServiceClient(channel: pharmacyChannel)
        let courierChannel = try GRPCChannel(
            target: target,
            serviceAccount: ServiceAccountCredentials(certificateChainFile: files.serviceAccountCertificate(courierAccount),
                                                      privateKeyFile: files.serviceAccountKey(courierAccount),
                                                      trustRootsFile: files.caFile, serverName: serverName),
            configuration: plain)
        let courier = Medexpress_V1_CourierServiceClient(channel: courierChannel)
        let totp = TOTP(secret: prescriberSecret)
        let prescriberCredentials = StaffSessionCredentials(username: prescriber, password: files.staffPassword) {
            totp.code(atUnixSeconds: Int64(time(nil)))
        }
        var prescriberConfiguration = plain
        prescriberConfiguration.credentials = prescriberCredentials
        let prescriberChannel = try GRPCChannel(
            target: target,
            tls: .client(trustRootsFile: files.caFile, serverName: serverName,
                         certificateChainFile: files.staffCertificate(prescriber), privateKeyFile: files.staffKey(prescriber)),
            configuration: prescriberConfiguration)
        let prescriberClient = Medexpress_V1_PrescriberServiceClient(channel: prescriberChannel)

        // Enough stock of every product for every order, so that none waits for it.
        let runID = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        for product in Set(plans.flatMap(\.products)).sorted() {
            _ = try await Self.setUp("ReceiveStock \(product) (as \(pharmacyAccount))") {
                try await pharmacy.receiveStock(.with {
                    $0.requestId = "bench-stock-\(runID)-\(product)"
                    $0.productId = product
                    $0.quantity = Int32(orders)
                    $0.reference = "bench-journey \(runID)"
                }, options: Self.options)
            }
        }
        // Signs the prescriber in (each TOTP code works once: a refusal waits for the next code).
        do {
            _ = try await prescriberClient.listReviewQueue(.with { $0.pageSize = 1 }, options: Self.options)
        } catch let status as Status where status.code == .unauthenticated {
            let now = Int64(time(nil))
            try await Task.sleep(for: .seconds((TOTP.step(atUnixSeconds: now) + 1) * TOTP.stepSeconds - now) + .milliseconds(200))
            _ = try await Self.setUp("sign in as \(prescriber)") {
                try await prescriberClient.listReviewQueue(.with { $0.pageSize = 1 }, options: Self.options)
            }
        } catch let status as Status {
            throw BenchFailure(description: "bench-journey: sign in as \(prescriber): \(status)")
        }
        // Opens the courier's connection (a tracking number no shipment has: NOT_FOUND).
        _ = try? await courier.getShipment(.with { $0.trackingNumber = "AB123456785GB" }, options: Self.options)

        // The customers: registered in parallel (password hashing is slow on purpose), then each
        // signed in on its own channel, all before the clock starts.
        let registered = try await withThrowingTaskGroup(of: (Int, String, String).self) { group in
            for index in 0..<customers {
                group.addTask {
                    let email = "bench-\(runID)-\(index)@example.org"
                    let password = "bench journey customer \(runID)"
                    try await Self.retryingThrottle("RegisterCustomer \(email)") {
                        _ = try await auth.registerCustomer(Self.registration(email: email, password: password, index: index,
                                                                              runID: runID), options: Self.options)
                    }
                    return (index, email, password)
                }
            }
            var all: [(Int, String, String)] = []
            for try await customer in group { all.append(customer) }
            return all.sorted { $0.0 < $1.0 }
        }
        var customerChannels: [GRPCChannel] = []
        for (_, email, password) in registered {
            var configuration = plain
            configuration.credentials = CustomerSessionCredentials(email: email, password: password)
            let channel = try GRPCChannel(target: target, tls: serverTLS, configuration: configuration)
            customerChannels.append(channel)
            let orderClient = Medexpress_V1_OrderServiceClient(channel: channel)
            try await Self.retryingThrottle("sign in as \(email)") {
                _ = try await orderClient.listOrders(.with { $0.pageSize = 1 }, options: Self.options)
            }
        }

        // The measured run.
        let tickets = BenchTickets(total: orders)
        let treatmentPlans = plans
        let staff = BenchStaff(prescriber: prescriberClient, pharmacy: pharmacy, courier: courier)
        let start = ContinuousClock.now
        let results = await withTaskGroup(of: BenchWorkerResult.self) { group in
            for (index, channel) in customerChannels.enumerated() {
                group.addTask {
                    let customer = BenchCustomer(consultations: Medexpress_V1_ConsultationServiceClient(channel: channel),
                                                 orders: Medexpress_V1_OrderServiceClient(channel: channel),
                                                 name: "BENCH CUSTOMER\(index)")
                    var result = BenchWorkerResult()
                    while let ticket = await tickets.next() {
                        let plan = treatmentPlans[ticket % treatmentPlans.count]
                        let began = ContinuousClock.now
                        do {
                            try await Self.order(ticket, plan, customer, staff, into: &result)
                            result.completed += 1
                            result.orderMilliseconds.append(Self.milliseconds(ContinuousClock.now - began))
                        } catch {
                            result.errors += 1
                            if result.firstError == nil { result.firstError = (ContinuousClock.now, "order \(ticket): \(error)") }
                        }
                    }
                    return result
                }
            }
            var all: [BenchWorkerResult] = []
            for await result in group { all.append(result) }
            return all
        }
        let elapsed = ContinuousClock.now - start

        for channel in customerChannels { await channel.close(grace: .seconds(2)) }
        try? await prescriberCredentials.signOut()
        for channel in [prescriberChannel, pharmacyChannel, courierChannel, publicChannel] { await channel.close(grace: .seconds(2)) }

        let completed = results.reduce(0) { $0 + $1.completed }
        let errors = results.reduce(0) { $0 + $1.errors }
        if let first = results.compactMap(\.firstError).min(by: { $0.at < $1.at }) {
            printError("bench-journey: first failed order: \(first.error)")
        }
        var latencies: [String: [Double]] = [:]
        for result in results {
            for (call, samples) in result.latencies { latencies[call, default: []].append(contentsOf: samples) }
        }
        let seconds = Self.seconds(elapsed)
        func summary(_ samples: [Double]?) -> (p50: String, p99: String, count: Int) {
            let sorted = (samples ?? []).sorted()
            return (Self.percentile(sorted, 0.50), Self.percentile(sorted, 0.99), sorted.count)
        }
        let submit = summary(latencies["SubmitConsultation"])
        let checkout = summary(latencies["Checkout"])
        let whole = summary(results.flatMap(\.orderMilliseconds))
        var fields = [
            "\"orders\": \(completed)",
            "\"customers\": \(customers)",
            "\"seconds\": \(Self.json(seconds))",
            "\"orders_per_second\": \(Self.json(Double(completed) / seconds))",
            "\"submit_consultation_p50_ms\": \(submit.p50)",
            "\"submit_consultation_p99_ms\": \(submit.p99)",
            "\"checkout_p50_ms\": \(checkout.p50)",
            "\"checkout_p99_ms\": \(checkout.p99)",
            "\"order_p50_ms\": \(whole.p50)",
            "\"order_p99_ms\": \(whole.p99)",
            "\"errors\": \(errors)",
        ]
        let calls = Self.calls.map { call in
            let s = summary(latencies[call])
            let failed = results.reduce(0) { $0 + $1.failedCalls[call, default: 0] }
            return "\"\(call)\": {\"count\": \(s.count), \"failed\": \(failed), \"p50_ms\": \(s.p50), \"p99_ms\": \(s.p99)}"
        }
        fields.append("\"calls\": {" + calls.joined(separator: ", ") + "}")
        printLine("{" + fields.joined(separator: ", ") + "}")
        if completed == 0 { throw BenchFailure(description: "no order completed (\(errors) failed)") }
    }

    // MARK: One order

    /// One order from consultation to the customer's door; each call's latency goes into `result`.
    private static func order(_ ticket: Int, _ plan: BenchTreatment, _ customer: BenchCustomer, _ staff: BenchStaff,
                              into result: inout BenchWorkerResult) async throws {
        let consultation = try await timed("StartConsultation", &result) {
            try await customer.consultations.startConsultation(.with {
                $0.requestId = requestID()
                $0.treatmentId = plan.id
            }, options: options)
        }
        for question in plan.questions {
            _ = try await timed("RecordAnswer", &result) {
                try await customer.consultations.recordAnswer(.with {
                    $0.requestId = requestID()
                    $0.consultationId = consultation.id
                    $0.questionId = question.id
                    $0.answer = harmlessAnswer(question)
                }, options: options)
            }
        }
        let submitted = try await timed("SubmitConsultation", &result) {
            try await customer.consultations.submitConsultation(.with {
                $0.requestId = requestID()
                $0.consultationId = consultation.id
            }, options: options)
        }
        // Orders are spread over every product the rules offer.
        let offered = (submitted.assessment?.offered ?? []).flatMap(\.productIds)
        guard !offered.isEmpty else { throw BenchFailure(description: "the rules offered no medicine for \(plan.id)") }
        let product = offered[ticket % offered.count]
        let order = try await timed("Checkout", &result) {
            try await customer.orders.checkout(.with {
                $0.requestId = requestID()
                $0.consultationId = submitted.id
                $0.productId = product
                $0.deliveryOptionId = deliveryOption
                $0.paymentMethodToken = card
            }, options: options)
        }
        let approval = try await timed("Approve", &result) {
            try await staff.prescriber.approve(.with {
                $0.requestId = requestID()
                $0.orderId = order.id
            }, options: options)
        }
        let gtin = approval.prescription?.prescription?.gtin ?? ""
        var dispensing = try await timed("StartDispensing", &result) {
            try await staff.pharmacy.startDispensing(.with {
                $0.requestId = requestID()
                $0.orderId = order.id
            }, options: options)
        }
        while dispensing.itemsVerified < dispensing.itemsRequired {
            let scan = try await timed("VerifyItem", &result) {
                try await staff.pharmacy.verifyItem(.with {
                    $0.requestId = requestID()
                    $0.orderId = order.id
                    $0.scannedGtin = gtin
                }, options: options)
            }
            guard scan.matches, let status = scan.status else {
                throw BenchFailure(description: "VerifyItem: GTIN \(gtin) did not match: \(scan.reason)")
            }
            dispensing = status
        }
        _ = try await timed("CompleteDispensing", &result) {
            try await staff.pharmacy.completeDispensing(.with {
                $0.requestId = requestID()
                $0.orderId = order.id
            }, options: options)
        }
        let shipment = try await timed("CreateShipment", &result) {
            try await staff.pharmacy.createShipment(.with {
                $0.requestId = requestID()
                $0.orderId = order.id
            }, options: options)
        }
        let now = Int64(time(nil))
        var status = Medexpress_V1_OrderStatus.unspecified
        for (code, secondsAgo, location, signer) in [("EVOAC", Int64(3), "Leeds Mail Centre", ""),
                                                     ("EVGPD", 2, "Leeds Delivery Office", ""),
                                                     ("EVKSP", 1, "Leeds Delivery Office", customer.name)] {
            status = try await timed("RecordTrackingEvent", &result) {
                try await staff.courier.recordTrackingEvent(.with {
                    $0.trackingNumber = shipment.trackingNumber
                    $0.eventCode = code
                    $0.occurredAt = .with { $0.seconds = now - secondsAgo }
                    $0.location = location
                    $0.signer = signer
                }, options: options)
            }.orderStatus
        }
        guard status == .delivered else {
            throw BenchFailure(description: "order \(order.id) ended at \(status.protoName), not DELIVERED")
        }
    }

    /// Runs one call and keeps its latency when it succeeds; a failure names the call.
    private static func timed<Response>(_ call: String, _ result: inout BenchWorkerResult,
                                        _ body: () async throws -> Response) async throws -> Response {
        let began = ContinuousClock.now
        do {
            let response = try await body()
            result.latencies[call, default: []].append(milliseconds(ContinuousClock.now - began))
            return response
        } catch {
            result.failedCalls[call, default: 0] += 1
            throw BenchFailure(description: "\(call): \(error)")
        }
    }

    // MARK: Set-up helpers

    static var options: CallOptions { CallOptions(timeout: callTimeout) }

    /// A set-up step; a failure names it.
    private static func setUp<Result>(_ name: String, _ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch {
            throw BenchFailure(description: "bench-journey set-up: \(name): \(error)")
        }
    }

    /// Retries `body` while the server's sign-in and registration throttles refuse it
    /// (RESOURCE_EXHAUSTED: more than 10 registrations an hour, or 30 sign-ins a minute, from one
    /// address), for up to five minutes.
    private static func retryingThrottle(_ name: String, _ body: () async throws -> Void) async throws {
        let deadline = ContinuousClock.now + .seconds(300)
        while true {
            do {
                return try await body()
            } catch let status as Status where status.code == .resourceExhausted && ContinuousClock.now < deadline {
                try await Task.sleep(for: .seconds(1))
            } catch {
                throw BenchFailure(description: "bench-journey set-up: \(name): \(error)")
            }
        }
    }

    private static func registration(email: String, password: String, index: Int, runID: String)
        -> Medexpress_V1_RegisterCustomerRequest {
        .with {
            $0.requestId = "bench-register-\(runID)-\(index)"
            $0.email = email
            $0.password = password
            $0.givenName = "Bench"
            $0.familyName = "Customer"
            $0.dateOfBirth = .with { $0.year = 1980; $0.month = 1 + Int32(index % 12); $0.day = 1 + Int32(index % 28) }
            $0.phone = "+447700900123"
            $0.address = .with {
                $0.lines = ["\(index + 1) Example Road"]
                $0.town = "Leeds"
                $0.postcode = "LS1 4AP"
                $0.country = "GB"
            }
        }
    }

    /// A harmless answer, as the tests' journey driver gives: no to every yes/no but consent, the
    /// first choice, "none" where offered, a number in range, a short text.
    static func harmlessAnswer(_ question: Medexpress_V1_Question) -> Medexpress_V1_Answer {
        switch question.kind {
        case .yesNo:
            return .with { $0.value = .yesNo(question.id == "gp_consent" || question.id == "diagnosed_by_clinician") }
        case .singleChoice:
            return .with { $0.value = .choice(question.choices.first?.key ?? "") }
        case .multipleChoice:
            return .with { $0.value = .choices(.with { $0.keys = question.choices.contains { $0.key == "none" } ? ["none"] : [] }) }
        case .number:
            return .with { $0.value = .number(question.unit == "cm" ? 175 : question.unit == "kg" ? 100 : question.minimum) }
        default:
            return .with { $0.value = .text(question.id == "gp_practice" ? "Example Surgery, 1 High Street, Leeds LS1 1AA" : "none") }
        }
    }

    static func requestID() -> String { "bench-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))" }

    // MARK: Numbers

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private static func milliseconds(_ duration: Duration) -> Double { seconds(duration) * 1000 }

    /// The nearest-rank percentile, as bench-client computes it, in ms with three decimals.
    private static func percentile(_ sorted: [Double], _ fraction: Double) -> String {
        guard !sorted.isEmpty else { return "NaN" }
        let index = min(sorted.count - 1, Int((fraction * Double(sorted.count - 1)).rounded(.toNearestOrEven)))
        return json((sorted[index] * 1000).rounded() / 1000)
    }

    /// A JSON number (NaN as Python's json module writes it, which the bench scripts read).
    private static func json(_ value: Double) -> String { value.isFinite ? "\(value)" : "NaN" }
}

/// One treatment the bench orders: its questions and every product it offers.
private struct BenchTreatment: Sendable {
    let id: String
    let questions: [Medexpress_V1_Question]
    let products: [String]
}

/// A worker's customer: its stubs over its own signed-in channel.
private struct BenchCustomer: Sendable {
    let consultations: Medexpress_V1_ConsultationServiceClient
    let orders: Medexpress_V1_OrderServiceClient
    let name: String
}

/// The staff side every worker shares.
private struct BenchStaff: Sendable {
    let prescriber: Medexpress_V1_PrescriberServiceClient
    let pharmacy: Medexpress_V1_PharmacyServiceClient
    let courier: Medexpress_V1_CourierServiceClient
}

/// What one worker measured.
private struct BenchWorkerResult: Sendable {
    var completed = 0
    var errors = 0
    var latencies: [String: [Double]] = [:]
    var failedCalls: [String: Int] = [:]
    var orderMilliseconds: [Double] = []
    var firstError: (at: ContinuousClock.Instant, error: String)?
}

/// Hands out order numbers 0..<total, each once.
private actor BenchTickets {
    let total: Int
    private var issued = 0

    init(total: Int) { self.total = total }

    func next() -> Int? {
        guard issued < total else { return nil }
        defer { issued += 1 }
        return issued
    }
}
