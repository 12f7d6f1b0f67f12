import ClientKit
import Glibc
import Trust

/// `medexpress demo`: walks the story of the user journeys against a running `serve --demo`, as
/// a client (ClientKit only): a new customer consults, is offered medicines and checks out with
/// LATESTBF26; the demo prescriber approves; the demo pharmacist dispenses and ships; the demo
/// courier delivers; the customer watches every step and leaves feedback. One line per step.
struct DemoCommand {
    static let usage = "--server HOST:PORT --data-dir DIR [--server-name NAME]; defaults 127.0.0.1:50051, ./data, localhost"
    static let treatment = "erectile-dysfunction"
    static let deliveryOption = "royal-mail-1st-class"
    static let discountCode = "LATESTBF26"
    static let card = "pm_card_visa"
    static let prescriber = "demo-prescriber"
    static let pharmacist = "demo-pharmacist"
    static let courierAccount = "demo-courier"

    let target: SocketAddress
    let dataDirectory: String
    let serverName: String

    init(_ rawArguments: ArraySlice<String>) throws(UsageError) {
        var arguments = try Arguments(rawArguments, booleanFlags: [])
        let server = arguments.string("server", default: "127.0.0.1:50051")
        guard let target = SocketAddress(parsing: server), target.port != 0 else {
            throw UsageError("--server must be HOST:PORT, got \(server)")
        }
        self.target = target
        dataDirectory = arguments.string("data-dir", default: "./data")
        serverName = arguments.string("server-name", default: "localhost")
        try arguments.rejectUnknown()
    }

    func run() async throws {
        let files = try DemoFiles(dataDirectory: dataDirectory)
        try files.require(staff: [Self.prescriber, Self.pharmacist], serviceAccounts: [Self.courierAccount]) { account in
            "a data directory made before the demo courier existed: add it with `medexpress service-account add "
                + "--data-dir \(dataDirectory) --name \(account) --role COURIER` while serve is stopped"
        }
        let journey = DemoJourney(target: target, serverName: serverName, files: files)
        try await journey.run()
    }
}

/// A step of the demo that failed: which step and the gRPC status (exit 1).
struct DemoFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What the demo reads from the data directory `scripts/demo-data.sh` and `serve` filled.
struct DemoFiles: Sendable {
    let caFile: String
    let staffPassword: String
    let totpSecrets: [String: TOTPSecret]
    let dataDirectory: String

    init(dataDirectory: String) throws {
        self.dataDirectory = dataDirectory
        caFile = "\(dataDirectory)/tls/ca.pem"
        try Self.requireReadable(caFile, "the development CA that serve makes on its first start")
        let summaryFile = "\(dataDirectory)/DEMO.txt"
        try Self.requireReadable(summaryFile, "written by scripts/demo-data.sh")
        let summary = try Self.read(summaryFile)
        var password: String?
        var secrets: [String: TOTPSecret] = [:]
        for line in summary.split(separator: "\n", omittingEmptySubsequences: true) {
            if let range = line.firstRange(of: "Staff password: ") {
                password = String(line[range.upperBound...]).demoTrimmed()
            }
            // TOTP: otpauth://totp/MedExpress:USERNAME?secret=BASE32&issuer=…
            if let range = line.firstRange(of: "otpauth://totp/") {
                let uri = line[range.upperBound...]
                guard let question = uri.firstIndex(of: "?") else { continue }
                let label = uri[..<question]
                let account = label.split(separator: ":").last.map { String($0).demoPercentDecoded() } ?? ""
                let query = uri[uri.index(after: question)...]
                for pair in query.split(separator: "&") where pair.hasPrefix("secret=") {
                    if let secret = TOTPSecret(base32: String(pair.dropFirst("secret=".count))) { secrets[account] = secret }
                }
            }
        }
        guard let password, !password.isEmpty else {
            throw DemoFailure("\(summaryFile) has no \"Staff password: …\" line (is it the file scripts/demo-data.sh writes?)")
        }
        staffPassword = password
        totpSecrets = secrets
    }

    /// Checks the TOTP secrets and certificates of `staff` and the certificates of `serviceAccounts`
    /// are there; `serviceAccountHint` says how to add a missing account.
    func require(staff: [String], serviceAccounts: [String], serviceAccountHint: (String) -> String) throws {
        let summaryFile = "\(dataDirectory)/DEMO.txt"
        for username in staff {
            guard totpSecrets[username] != nil else {
                throw DemoFailure("\(summaryFile) has no TOTP URI for \(username) (otpauth://totp/MedExpress:\(username)?secret=…)")
            }
            try Self.requireReadable(staffCertificate(username), "\(username)'s client certificate (scripts/demo-data.sh)")
            try Self.requireReadable(staffKey(username), "\(username)'s private key (scripts/demo-data.sh)")
        }
        for account in serviceAccounts {
            try Self.requireReadable(serviceAccountCertificate(account), serviceAccountHint(account))
            try Self.requireReadable(serviceAccountKey(account), serviceAccountHint(account))
        }
    }

    func staffCertificate(_ username: String) -> String { "\(dataDirectory)/staff/\(username).pem" }
    func staffKey(_ username: String) -> String { "\(dataDirectory)/staff/\(username).key" }
    func serviceAccountCertificate(_ name: String) -> String { "\(dataDirectory)/service-accounts/\(name).pem" }
    func serviceAccountKey(_ name: String) -> String { "\(dataDirectory)/service-accounts/\(name).key" }

    private static func requireReadable(_ path: String, _ what: String) throws {
        guard access(path, R_OK) == 0 else {
            throw DemoFailure("cannot read \(path) (\(what)): \(String(cString: strerror(errno)))")
        }
    }

    private static func read(_ path: String) throws -> String {
        guard let file = fopen(path, "r") else {
            throw DemoFailure("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The current TOTP code of one demo staff member (RFC 6238: SHA-1, 30 s, 6 digits), from the
/// secret in DEMO.txt. The server accepts each code once: see `DemoJourney.signedIn`.
final class DemoAuthenticator: Sendable {
    private let totp: TOTP

    init(secret: TOTPSecret) { totp = TOTP(secret: secret) }

    static func now() -> Int64 { Int64(time(nil)) }

    func currentCode() -> String { totp.code(atUnixSeconds: Self.now()) }

    /// Sleeps until the next 30-second step begins.
    static func waitForNextStep() async throws {
        let now = Self.now()
        let next = (TOTP.step(atUnixSeconds: now) + 1) * TOTP.stepSeconds
        try await Task.sleep(for: .seconds(next - now) + .milliseconds(200))
    }
}

/// The journey itself.
struct DemoJourney {
    let target: SocketAddress
    let serverName: String
    let files: DemoFiles

    private var serverTLS: TLSConfiguration { .client(trustRootsFile: files.caFile, serverName: serverName) }

    func run() async throws {
        say("MedExpress demo against \(target) (TLS, server name \(serverName), CA \(files.caFile))")

        // MARK: The customer
        var anonymous = ChannelConfiguration()
        anonymous.retryPolicy = .disabled
        let publicChannel = try GRPCChannel(target: target, tls: serverTLS, configuration: anonymous)
        let auth = Medexpress_V1_AuthServiceClient(channel: publicChannel)
        let catalog = Medexpress_V1_CatalogServiceClient(channel: publicChannel)

        let email = "demo-\(Self.randomHex(6))@example.org"
        let password = "demo customer \(Self.randomHex(4))"
        let registered = try await step("register a new customer") {
            try await auth.registerCustomer(.with {
                $0.requestId = Self.requestID()
                $0.email = email
                $0.password = password
                $0.givenName = "Alex"
                $0.familyName = "Demo"
                $0.dateOfBirth = .with { $0.year = 1984; $0.month = 5; $0.day = 14 }
                $0.phone = "+447700900123"
                $0.address = .with {
                    $0.lines = ["12 Example Road"]
                    $0.town = "Leeds"
                    $0.postcode = "LS1 4AP"
                    $0.country = "GB"
                }
            })
        }
        say("1. registered customer \(registered.customerId) <\(email)> (Alex Demo, born 1984-05-14, 12 Example Road, Leeds LS1 4AP)")

        var customerConfiguration = ChannelConfiguration()
        customerConfiguration.retryPolicy = .disabled
        let customerCredentials = CustomerSessionCredentials(email: email, password: password)
        customerConfiguration.credentials = customerCredentials
        let customerChannel = try GRPCChannel(target: target, tls: serverTLS, configuration: customerConfiguration)
        let consultations = Medexpress_V1_ConsultationServiceClient(channel: customerChannel)
        let orders = Medexpress_V1_OrderServiceClient(channel: customerChannel)

        let treatments = try await step("browse treatments (ListTreatments)") { try await catalog.listTreatments(.init()) }
        say("2. browsed treatments (catalog \(treatments.catalogVersion)): "
            + treatments.treatments.map { "\($0.name) [\($0.id)]" }.joined(separator: ", "))
        let treatment = try await step("read the treatment (GetTreatment \(DemoCommand.treatment))") {
            try await catalog.getTreatment(.with { $0.treatmentId = DemoCommand.treatment })
        }
        let questions = treatment.questionnaire?.questions ?? []
        say("3. opened \(treatment.name): questionnaire \(treatment.questionnaire?.version ?? "?") with \(questions.count) questions; "
            + "medicines " + treatment.medications.map { "\($0.name) (\($0.products.count) packs)" }.joined(separator: ", "))
        let deliveries = try await step("list delivery options") { try await catalog.listDeliveryOptions(.init()) }
        say("4. delivery options: " + deliveries.deliveryOptions.map { "\($0.name) \(Self.money($0.price))" }.joined(separator: ", "))

        let consultation = try await step("start a consultation (StartConsultation)") {
            try await consultations.startConsultation(.with {
                $0.requestId = Self.requestID()
                $0.treatmentId = DemoCommand.treatment
            })
        }
        say("5. signed in as \(email) and started consultation \(consultation.id) (\(consultation.questionnaireVersion))")

        // The safety question whose answer the customer changes once, so the prescriber sees it.
        guard let changedQuestion = questions.first(where: { $0.safetyCritical && $0.kind == .yesNo }) else {
            throw DemoFailure("the \(DemoCommand.treatment) questionnaire has no yes/no safety question to change")
        }
        var answered = 0
        for question in questions {
            let first = question.id == changedQuestion.id ? Self.yesNo(true) : Self.answer(for: question)
            let recorded = try await step("answer \(question.id) (RecordAnswer)") {
                try await consultations.recordAnswer(.with {
                    $0.requestId = Self.requestID()
                    $0.consultationId = consultation.id
                    $0.questionId = question.id
                    $0.answer = first
                })
            }
            answered += 1
            say("6.\(answered) answered \(question.id)\(question.safetyCritical ? " (safety question)" : ""): "
                + "\(Self.describe(first, question)) [event \(recorded.sequence)]")
        }
        let correction = Self.yesNo(false)
        let changed = try await step("change the answer to \(changedQuestion.id) (RecordAnswer)") {
            try await consultations.recordAnswer(.with {
                $0.requestId = Self.requestID()
                $0.consultationId = consultation.id
                $0.questionId = changedQuestion.id
                $0.answer = correction
            })
        }
        say("7. changed the safety answer \(changedQuestion.id) from yes to no [event \(changed.sequence), changed: \(changed.changed)]; "
            + "both answers are kept")

        let submitted = try await step("submit the consultation (SubmitConsultation)") {
            try await consultations.submitConsultation(.with {
                $0.requestId = Self.requestID()
                $0.consultationId = consultation.id
            })
        }
        let assessment = submitted.assessment ?? .init()
        say("8. submitted consultation \(submitted.id) (\(Self.name(submitted.state))); rules \(assessment.ruleSetVersion) flagged: "
            + (assessment.flags.isEmpty ? "nothing" : assessment.flags.map(\.code).joined(separator: ", ")))
        guard let offeredMedication = assessment.offered.first, let product = offeredMedication.productIds.first else {
            throw DemoFailure("the rules offered no medicine: " + assessment.exclusions.map { "\($0.medicationId): \($0.reason)" }.joined(separator: "; "))
        }
        say("9. offered: " + assessment.offered.map { "\($0.name) (\($0.productIds.joined(separator: ", ")))" }.joined(separator: "; ")
            + (assessment.exclusions.isEmpty ? "" : "; ruled out: " + assessment.exclusions.map(\.medicationId).joined(separator: ", ")))

        let quote = try await step("get a quote (GetQuote \(product), \(DemoCommand.discountCode))") {
            try await orders.getQuote(.with {
                $0.consultationId = submitted.id
                $0.productId = product
                $0.deliveryOptionId = DemoCommand.deliveryOption
                $0.discountCode = DemoCommand.discountCode
            })
        }
        say("10. quote for \(product) by \(DemoCommand.deliveryOption) with \(quote.discountCode.isEmpty ? "no code" : quote.discountCode): "
            + quote.lines.map { "\($0.description) \(Self.money($0.amount))" }.joined(separator: ", ")
            + "; total \(Self.money(quote.total))")

        let order = try await step("check out (Checkout with \(DemoCommand.card))") {
            try await orders.checkout(.with {
                $0.requestId = Self.requestID()
                $0.consultationId = submitted.id
                $0.productId = product
                $0.deliveryOptionId = DemoCommand.deliveryOption
                $0.discountCode = DemoCommand.discountCode
                $0.paymentMethodToken = DemoCommand.card
            })
        }
        say("11. checked out: order \(order.id), \(Self.name(order.status)), payment \(Self.name(order.paymentStatus)), "
            + "total \(Self.money(order.price?.total))")

        // The customer's live view of the order, in the background until it reaches a final status.
        let watch = try await step("watch the order (WatchOrder)") {
            try await orders.watchOrder(.with { $0.orderId = order.id }, options: CallOptions(timeout: .seconds(300)))
        }
        let (started, startedSignal) = AsyncStream<Void>.makeStream()
        let watcher = Task { () throws -> [Medexpress_V1_OrderUpdate] in
            defer { startedSignal.finish() }
            var seen: [Medexpress_V1_OrderUpdate] = []
            for try await update in watch {
                seen.append(update)
                Self.sayUpdate(update)
                if seen.count == 1 { startedSignal.yield() }
            }
            return seen
        }
        for await _ in started { break }

        do {
            try await staffAndCourier(order: order, customerName: "A DEMO")
        } catch {
            watch.cancel()
            throw error
        }

        // MARK: The customer again
        let updates: [Medexpress_V1_OrderUpdate]
        do {
            updates = try await watcher.value
        } catch let status as Status {
            throw DemoFailure("the WatchOrder stream failed: \(status)")
        }
        let statuses = updates.compactMap { $0.change?.status }
        guard let last = updates.last?.order, last.status == .delivered else {
            throw DemoFailure("the WatchOrder stream ended at \(Self.name(updates.last?.order?.status ?? .unspecified)), not DELIVERED")
        }
        say("21. the WatchOrder stream ended at \(Self.name(last.status)) after \(updates.count) updates: "
            + statuses.map { Self.name($0) }.joined(separator: " → "))
        let feedback = try await step("submit feedback (SubmitFeedback)") {
            try await orders.submitFeedback(.with {
                $0.requestId = Self.requestID()
                $0.orderId = order.id
                $0.rating = 5
                $0.comment = "Arrived the next morning in plain packaging."
            })
        }
        say("22. feedback on \(feedback.orderId): \(feedback.rating)/5 \"\(feedback.comment)\"")
        try? await customerCredentials.signOut()
        await customerChannel.close(grace: .seconds(2))
        await publicChannel.close(grace: .seconds(2))
        say("demo complete: order \(order.id) went from checkout to DELIVERED")
    }

    // MARK: Staff and courier

    private func staffAndCourier(order: Medexpress_V1_Order, customerName: String) async throws {
        // The prescriber.
        let (prescriberChannel, prescriberCredentials) = try staffChannel(DemoCommand.prescriber)
        let prescriber = Medexpress_V1_PrescriberServiceClient(channel: prescriberChannel)
        let queue = try await signedIn(DemoCommand.prescriber, "list the review queue") {
            try await prescriber.listReviewQueue(.with { $0.pageSize = 100 })
        }
        guard let entry = queue.entries.first(where: { $0.orderId == order.id }) else {
            throw DemoFailure("order \(order.id) is not in the prescriber's review queue (\(queue.entries.count) entries)")
        }
        say("12. signed in as \(DemoCommand.prescriber) (client certificate, password and TOTP code); review queue holds "
            + "\(queue.entries.count) order(s); \(entry.orderId) has \(entry.flagCount) flag(s)")
        let reviewed = try await step("read the case (GetCase)") { try await prescriber.getCase(.with { $0.orderId = order.id }) }
        let patient = reviewed.patient ?? .init()
        let changedAnswers = reviewed.answerHistory.filter(\.changed).map { history in
            "\(history.questionId)\(history.safetyCritical ? " (safety)" : ""): "
                + history.events.map { "\(Self.describe($0.answer)) \($0.changed ? "[changed]" : "")".demoTrimmed() }
                    .joined(separator: " → ")
        }
        let flags = (reviewed.consultation?.assessment?.flags ?? []) + reviewed.checkoutFlags
        say("13. read case \(order.id): patient \(patient.givenName) \(patient.familyName), aged \(patient.ageYears), ID \(patient.identityStatus.protoName); "
            + "changed answers: \(changedAnswers.isEmpty ? "none" : changedAnswers.joined(separator: "; ")); "
            + "flags: \(flags.isEmpty ? "none" : flags.map(\.code).joined(separator: ", "))")
        let approval = try await step("approve (Approve)") {
            try await prescriber.approve(.with {
                $0.requestId = Self.requestID()
                $0.orderId = order.id
            })
        }
        let issued = approval.prescription?.prescription ?? .init()
        say("14. approved: prescription \(issued.id) for \(issued.medicineName) \(issued.strength) × \(issued.quantity) "
            + "signed (\(approval.prescription?.signatureAlgorithm ?? "?")) by \(issued.prescriberName), "
            + "\(issued.registeringBody) \(issued.registrationNumber); order \(Self.name(approval.order?.status ?? .unspecified)), "
            + "payment \(Self.name(approval.order?.paymentStatus ?? .unspecified))")
        try? await prescriberCredentials.signOut()
        await prescriberChannel.close(grace: .seconds(2))

        // The pharmacist.
        let (pharmacistChannel, pharmacistCredentials) = try staffChannel(DemoCommand.pharmacist)
        let pharmacy = Medexpress_V1_PharmacyServiceClient(channel: pharmacistChannel)
        let received = try await signedIn(DemoCommand.pharmacist, "receive the prescription (GetPrescription)") {
            try await pharmacy.getPrescription(.with { $0.id = issued.id.isEmpty ? order.id : issued.id })
        }
        let rx = received.prescription ?? .init()
        let locallyValid = Self.verifySignature(received)
        say("15. signed in as \(DemoCommand.pharmacist) and received prescription \(rx.id) (GetPrescription): "
            + "\(rx.medicineName) \(rx.strength) \(rx.form), \(rx.packDescription), GTIN \(rx.gtin), for \(rx.patientName); "
            + "signature verified by the server: \(received.signatureVerified ? "yes" : "NO"); "
            + "checked here with the prescriber's public key: \(locallyValid.map { $0 ? "valid" : "INVALID" } ?? "could not check")")
        guard received.signatureVerified else {
            throw DemoFailure("the prescription's signature did not verify: the pharmacy must not dispense it")
        }
        var dispensing = try await step("start dispensing (StartDispensing)") {
            try await pharmacy.startDispensing(.with {
                $0.requestId = Self.requestID()
                $0.orderId = order.id
            })
        }
        say("16. started dispensing \(order.id): \(Self.name(dispensing.status)), \(dispensing.itemsRequired) item(s) to scan")
        while dispensing.itemsVerified < dispensing.itemsRequired {
            let scan = try await step("scan GTIN \(rx.gtin) (VerifyItem)") {
                try await pharmacy.verifyItem(.with {
                    $0.requestId = Self.requestID()
                    $0.orderId = order.id
                    $0.scannedGtin = rx.gtin
                })
            }
            guard scan.matches, let status = scan.status else {
                throw DemoFailure("the scanned GTIN \(rx.gtin) did not match: \(scan.reason)")
            }
            dispensing = status
            say("17. scanned \(rx.gtin): matches the prescription (\(dispensing.itemsVerified)/\(dispensing.itemsRequired) verified)")
        }
        let completed = try await step("complete dispensing (CompleteDispensing)") {
            try await pharmacy.completeDispensing(.with {
                $0.requestId = Self.requestID()
                $0.orderId = order.id
            })
        }
        let register = completed.registerEntry ?? .init()
        say("18. dispensed; POM register entry \(register.entryId): supplied \(Self.date(register.supplyDate)) "
            + "\(register.medicineName) \(register.strength) \(register.form) × \(register.quantity) to \(register.patientName) "
            + "on prescription \(register.prescriptionId) of \(Self.date(register.prescriptionDate)) by \(register.prescriberName); "
            + "supplied by \(register.suppliedBy); kept until \(Self.date(register.keepUntil))")
        let shipment = try await step("create the shipment (CreateShipment)") {
            try await pharmacy.createShipment(.with {
                $0.requestId = Self.requestID()
                $0.orderId = order.id
            })
        }
        say("19. shipment \(shipment.id) booked (\(shipment.serviceCode)): tracking number \(shipment.trackingNumber), "
            + "\(shipment.trackingUrl); estimated delivery \(Self.date(shipment.estimatedDelivery)); order \(Self.name(shipment.orderStatus))")
        try? await pharmacistCredentials.signOut()
        await pharmacistChannel.close(grace: .seconds(2))

        // The courier.
        var courierConfiguration = ChannelConfiguration()
        courierConfiguration.retryPolicy = .disabled
        let courierChannel = try GRPCChannel(
            target: target,
            serviceAccount: ServiceAccountCredentials(
                certificateChainFile: files.serviceAccountCertificate(DemoCommand.courierAccount),
                privateKeyFile: files.serviceAccountKey(DemoCommand.courierAccount),
                trustRootsFile: files.caFile, serverName: serverName),
            configuration: courierConfiguration)
        let courier = Medexpress_V1_CourierServiceClient(channel: courierChannel)
        let now = DemoAuthenticator.now()
        let events: [(code: String, meaning: String, secondsAgo: Int64, location: String, signer: String)] = [
            ("EVOAC", "accepted at the counter", 3, "Leeds Mail Centre", ""),
            ("EVGPD", "out for delivery", 2, "Leeds Delivery Office", ""),
            ("EVKSP", "delivered, signed for", 1, "Leeds Delivery Office", customerName),
        ]
        for (index, event) in events.enumerated() {
            let response = try await step("report \(event.code) as \(DemoCommand.courierAccount) (RecordTrackingEvent)") {
                try await courier.recordTrackingEvent(.with {
                    $0.trackingNumber = shipment.trackingNumber
                    $0.eventCode = event.code
                    $0.occurredAt = .with { $0.seconds = now - event.secondsAgo }
                    $0.location = event.location
                    $0.signer = event.signer
                })
            }
            say("20.\(index + 1) courier \(DemoCommand.courierAccount) reported \(event.code) (\(event.meaning)) "
                + "for \(shipment.trackingNumber) at \(event.location)\(event.signer.isEmpty ? "" : ", signed by \(event.signer)"): "
                + "order \(Self.name(response.orderStatus))\(response.applied ? "" : " (already recorded)")")
        }
        await courierChannel.close(grace: .seconds(2))
    }

    /// A channel presenting `username`'s client certificate, signing in with the demo password and
    /// a TOTP code computed from the secret in DEMO.txt.
    private func staffChannel(_ username: String) throws -> (GRPCChannel, StaffSessionCredentials) {
        guard let secret = files.totpSecrets[username] else { throw DemoFailure("no TOTP secret for \(username)") }
        let authenticator = DemoAuthenticator(secret: secret)
        var configuration = ChannelConfiguration()
        configuration.retryPolicy = .disabled
        let credentials = StaffSessionCredentials(username: username, password: files.staffPassword) {
            authenticator.currentCode()
        }
        configuration.credentials = credentials
        let tls = TLSConfiguration.client(trustRootsFile: files.caFile, serverName: serverName,
                                          certificateChainFile: files.staffCertificate(username),
                                          privateKeyFile: files.staffKey(username))
        return (try GRPCChannel(target: target, tls: tls, configuration: configuration), credentials)
    }

    /// The first call of a staff member, which signs them in. Each TOTP code works once: when the
    /// sign-in is refused (another run used this 30-second step's code, say) it waits for the next
    /// code and tries once more.
    private func signedIn<Result>(_ username: String, _ name: String, _ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let status as Status where status.code == .unauthenticated {
            say("   sign-in of \(username) refused (\(status.message)); each TOTP code works once, so waiting for the next code")
            try await DemoAuthenticator.waitForNextStep()
            return try await step("sign in as \(username) (certificate, password and TOTP) and \(name)", body)
        } catch let status as Status {
            throw DemoFailure("step \"sign in as \(username) and \(name)\" failed: \(Self.statusName(status.code)) \(status.message)")
        }
    }

    // MARK: Helpers

    /// Runs one step; a gRPC failure names the step and the status.
    private func step<Result>(_ name: String, _ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let status as Status {
            throw DemoFailure("step \"\(name)\" failed: \(Self.statusName(status.code)) \(status.message)")
        }
    }

    private func say(_ line: String) { printLine(line) }

    private static func sayUpdate(_ update: Medexpress_V1_OrderUpdate) {
        let order = update.order ?? .init()
        var line = "   [watch] order \(order.id): "
        if let change = update.change {
            line += name(change.status)
            if !change.reason.isEmpty { line += " (\(change.reason))" }
            if update.fromSnapshot { line += ", as the watch began" }
        } else {
            line += "payment \(name(order.paymentStatus))"
        }
        if let change = update.change, [.dispatched, .delivered].contains(change.status), !order.trackingNumber.isEmpty {
            line += "; tracking \(order.trackingNumber) \(order.trackingUrl)"
        }
        printLine(line)
    }

    /// Checks the prescription's Ed25519 signature over its canonical encoding with the public key
    /// it carries (SubjectPublicKeyInfo PEM); nil when the key is not an Ed25519 SPKI.
    static func verifySignature(_ signed: Medexpress_V1_SignedPrescription) -> Bool? {
        let body = signed.publicKeyPem.split(separator: "\n")
            .filter { !$0.hasPrefix("-----") }
            .joined()
            .demoTrimmed()
        guard let der = Base64.decode(body) else { return nil }
        // SEQUENCE { SEQUENCE { OID 1.3.101.112 } BIT STRING (32 bytes) } (RFC 8410).
        let prefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]
        guard der.count == prefix.count + Ed25519PublicKey.byteCount, Array(der.prefix(prefix.count)) == prefix,
              let key = try? Ed25519PublicKey(rawRepresentation: Array(der.dropFirst(prefix.count))) else { return nil }
        return key.isValidSignature(signed.signature, for: signed.canonicalEncoding)
    }

    static func answer(for question: Medexpress_V1_Question) -> Medexpress_V1_Answer {
        switch question.kind {
        case .yesNo: return yesNo(question.id == "gp_consent")
        case .singleChoice: return .with { $0.value = .choice(question.choices.last?.key ?? "") }
        case .multipleChoice:
            return .with { $0.value = .choices(.with { $0.keys = question.choices.contains { $0.key == "none" } ? ["none"] : [] }) }
        case .number: return .with { $0.value = .number(question.minimum) }
        default:
            return .with { $0.value = .text(question.id == "gp_practice" ? "Example Surgery, 1 High Street, Leeds LS1 1AA" : "none") }
        }
    }

    static func yesNo(_ value: Bool) -> Medexpress_V1_Answer { .with { $0.value = .yesNo(value) } }

    static func describe(_ answer: Medexpress_V1_Answer?, _ question: Medexpress_V1_Question? = nil) -> String {
        switch answer?.value {
        case .yesNo(let value)?: return value ? "yes" : "no"
        case .choice(let key)?: return question?.choices.first { $0.key == key }?.label ?? key
        case .choices(let keys)?: return keys.keys.isEmpty ? "none" : keys.keys.joined(separator: ", ")
        case .number(let value)?: return "\(value)"
        case .text(let text)?: return "\"\(text)\""
        case nil: return "(no answer)"
        }
    }

    static func money(_ money: Medexpress_V1_Money?) -> String {
        guard let money else { return "?" }
        let pence = money.minorUnits
        let sign = pence < 0 ? "-" : ""
        let magnitude = pence.magnitude
        let symbol = money.currency == "GBP" || money.currency.isEmpty ? "£" : "\(money.currency) "
        let fraction = magnitude % 100
        return "\(sign)\(symbol)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    static func date(_ date: Medexpress_V1_CalendarDate?) -> String {
        guard let date else { return "?" }
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(date.year)-\(two(date.month))-\(two(date.day))"
    }

    static func name(_ status: Medexpress_V1_OrderStatus) -> String { status.protoName }
    static func name(_ status: Medexpress_V1_PaymentStatus) -> String { status.protoName }
    static func name(_ state: Medexpress_V1_Consultation.State) -> String { state.protoName }

    static func statusName(_ code: Status.Code) -> String {
        switch code {
        case .ok: "OK"
        case .cancelled: "CANCELLED"
        case .unknown: "UNKNOWN"
        case .invalidArgument: "INVALID_ARGUMENT"
        case .deadlineExceeded: "DEADLINE_EXCEEDED"
        case .notFound: "NOT_FOUND"
        case .alreadyExists: "ALREADY_EXISTS"
        case .permissionDenied: "PERMISSION_DENIED"
        case .resourceExhausted: "RESOURCE_EXHAUSTED"
        case .failedPrecondition: "FAILED_PRECONDITION"
        case .aborted: "ABORTED"
        case .outOfRange: "OUT_OF_RANGE"
        case .unimplemented: "UNIMPLEMENTED"
        case .internalError: "INTERNAL"
        case .unavailable: "UNAVAILABLE"
        case .dataLoss: "DATA_LOSS"
        case .unauthenticated: "UNAUTHENTICATED"
        }
    }

    static func requestID() -> String { "demo-\(randomHex(12))" }

    static func randomHex(_ bytes: Int) -> String {
        let digits = Array("0123456789abcdef")
        return String(SecureRandom.bytes(bytes).flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] })
    }
}

fileprivate extension StringProtocol {
    /// Without leading and trailing spaces, tabs and line ends.
    func demoTrimmed() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }

    /// `%XX` escapes decoded (an otpauth label's account name).
    func demoPercentDecoded() -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(self.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
               let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
