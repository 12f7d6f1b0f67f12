import Domain
import Generated
import RPCCore
import Store
import Trust

extension AdminService {
    /// The longest period a report or export covers.
    static let maxReportDays = 400
    /// Orders one export streams, at most (a year of a busy pharmacy).
    static let maxExportRows = 500_000

    public func getReport(_ request: Medexpress_V1_GetReportRequest, context: ServerContext) async throws -> Medexpress_V1_Report {
        let caller = try context.requireCaller()
        let (from, before) = try Self.period(request.from, request.before)
        let cipher = journey.vault.cipher
        let report = try await store.read { tx in try ReportBuilder(from: from, before: before, cipher: cipher, in: tx).report }
        try await auditRead(caller, context: context, action: "report.generated", detail: "from \(from) before \(before)")
        return report
    }

    public func exportComplianceReport(_ request: Medexpress_V1_ExportComplianceReportRequest, responses: ResponseWriter<Medexpress_V1_CsvRow>,
                                       context: ServerContext) async throws {
        let caller = try context.requireCaller()
        let (from, before) = try Self.period(request.from, request.before)
        let cipher = journey.vault.cipher
        let pseudonyms = journey.vault.blindIndex
        try await auditRead(caller, context: context, action: "compliance_export.generated", detail: "from \(from) before \(before)")
        try await responses.write(.with { $0.line = ComplianceExport.header.joined(separator: ",") })
        var after = PageToken(at: from - 1, id: "")
        var sent = 0
        while sent < Self.maxExportRows {
            let cursor = after
            let batch = try await store.read { tx in
                try ComplianceExport.rows(after: cursor, before: before, limit: 500, cipher: cipher, pseudonyms: pseudonyms, in: tx)
            }
            for row in batch.lines { try await responses.write(.with { $0.line = row }) }
            sent += batch.lines.count
            guard let last = batch.last else { break }
            after = last
        }
    }

    /// The report's period; INVALID_ARGUMENT unless `from` is before `before` and the span is bounded.
    static func period(_ from: Google_Protobuf_Timestamp?, _ before: Google_Protobuf_Timestamp?) throws(Status) -> (Int64, Int64) {
        guard let from, let before else { throw Status(.invalidArgument, "from and before: the period is needed") }
        let start = microseconds(from), end = microseconds(before)
        guard start < end else { throw Status(.invalidArgument, "before: must come after from") }
        guard end - start <= Int64(maxReportDays) * Instant.microsecondsPerDay else {
            throw Status(.invalidArgument, "before: a period of at most \(maxReportDays) days")
        }
        return (start, end)
    }

    private func auditRead(_ caller: Caller, context: ServerContext, action: String, detail: String) async throws {
        let now = clock()
        let dialect = store.dialect
        try await store.write { tx in
            try AuditLog.append(AuditEntry(caller, at: now, method: context.method.path, resource: "", action: action, detail: detail),
                                in: tx, dialect: dialect)
        }
    }
}

/// The figures of a report, computed from the orders placed in the period, their status history
/// and shipments, the feedback and the tickets of the period.
struct ReportBuilder {
    let report: Medexpress_V1_Report

    /// Feedback comments a report lists, at most.
    static let maxComments = 500

    init(from: Int64, before: Int64, cipher: FieldCipher, in tx: any ReadTransaction) throws {
        var report = Medexpress_V1_Report()
        report.from = Timestamps.timestamp(microseconds: from)
        report.before = Timestamps.timestamp(microseconds: before)
        let period: [SQLValue] = [.integer(from), .integer(before)]
        let orders = try tx.query("""
            SELECT id, treatment_id, status, total_pence, created_at_us FROM orders WHERE created_at_us >= $1 AND created_at_us < $2
            """, period)
        var volumes = Medexpress_V1_OrderVolumes()
        var value: Int64 = 0
        for order in orders {
            volumes.orders += 1
            let day = UKTime.localDay(at: Instant(microsecondsSinceEpoch: try order.int64("created_at_us"))).description
            volumes.byDay[day, default: 0] += 1
            volumes.byTreatment[try order.string("treatment_id"), default: 0] += 1
            volumes.byStatus[try OrderMessages.status(stored: try order.int64("status")).wireName, default: 0] += 1
            value += try order.int64("total_pence")
        }
        volumes.value = CatalogMessages.money(Pence(value))
        report.volumes = volumes

        // First time each order reached each status.
        var reached: [String: [OrderStatus: Int64]] = [:]
        for change in try tx.query("""
            SELECT c.order_id, c.status, c.at_us FROM order_status_changes c JOIN orders o ON o.id = c.order_id
            WHERE o.created_at_us >= $1 AND o.created_at_us < $2 ORDER BY c.order_id, c.seq
            """, period) {
            let status = try OrderMessages.status(stored: try change.int64("status"))
            let order = try change.string("order_id")
            if reached[order]?[status] == nil { reached[order, default: [:]][status] = try change.int64("at_us") }
        }
        var delivery = Medexpress_V1_DeliveryPerformance()
        var approvalToDispatch: [Double] = [], dispatchToDelivery: [Double] = []
        for times in reached.values {
            if times[.dispatched] != nil { delivery.dispatched += 1 }
            if times[.delivered] != nil { delivery.delivered += 1 }
            if times[.deliveryFailed] != nil { delivery.failedDeliveries += 1 }
            if let approved = times[.approved], let dispatched = times[.dispatched] { approvalToDispatch.append(Self.hours(dispatched - approved)) }
            if let dispatched = times[.dispatched], let delivered = times[.delivered] { dispatchToDelivery.append(Self.hours(delivered - dispatched)) }
        }
        delivery.medianHoursApprovalToDispatch = Self.median(approvalToDispatch)
        delivery.medianHoursDispatchToDelivery = Self.median(dispatchToDelivery)
        var byService: [String: (delivered: Int64, nextDay: Int64)] = [:]
        for shipment in try tx.query("""
            SELECT s.order_id, s.service_code, s.dispatch_date FROM shipments s JOIN orders o ON o.id = s.order_id
            WHERE o.created_at_us >= $1 AND o.created_at_us < $2
            """, period) {
            guard let delivered = reached[try shipment.string("order_id")]?[.delivered],
                  let dispatchDay = CalendarDay(iso8601: try shipment.string("dispatch_date")) else { continue }
            let code = try shipment.string("service_code")
            let deliveredDay = UKTime.localDay(at: Instant(microsecondsSinceEpoch: delivered))
            let nextDay = deliveredDay <= BankHolidays.adding(workingDays: 1, to: dispatchDay)
            byService[code, default: (0, 0)].delivered += 1
            if nextDay { byService[code, default: (0, 0)].nextDay += 1 }
        }
        delivery.byService = byService.keys.sorted().map { code in
            var service = Medexpress_V1_ServicePerformance()
            service.serviceCode = code
            service.delivered = byService[code]?.delivered ?? 0
            service.nextDayRate = Double(byService[code]?.nextDay ?? 0) / Double(max(1, service.delivered))
            return service
        }
        report.delivery = delivery

        var feedback = Medexpress_V1_FeedbackSummary()
        var ratingTotal: Int64 = 0
        for row in try tx.query("""
            SELECT order_id, rating, comment, submitted_at_us FROM feedback WHERE submitted_at_us >= $1 AND submitted_at_us < $2
            ORDER BY submitted_at_us DESC
            """, period) {
            let rating = try row.int64("rating")
            feedback.responses += 1
            ratingTotal += rating
            feedback.byRating[Int32(rating), default: 0] += 1
            let orderID = try row.string("order_id")
            let text = try cipher.openString(try row.bytes("comment"), context: FieldContext(table: "feedback", column: "comment", row: orderID))
            if !text.isEmpty && feedback.comments.count < Self.maxComments {
                var comment = Medexpress_V1_FeedbackComment()
                comment.orderId = orderID
                comment.rating = Int32(rating)
                comment.comment = text
                comment.submittedAt = Timestamps.timestamp(microseconds: try row.int64("submitted_at_us"))
                feedback.comments.append(comment)
            }
        }
        feedback.averageRating = feedback.responses == 0 ? 0 : Double(ratingTotal) / Double(feedback.responses)
        report.feedback = feedback

        var support = Medexpress_V1_SupportSummary()
        var firstResponse: [Double] = [], resolution: [Double] = []
        for ticket in try tx.query("""
            SELECT opened_at_us, first_response_at_us, resolved_at_us FROM tickets WHERE opened_at_us >= $1 AND opened_at_us < $2
            """, period) {
            support.ticketsOpened += 1
            let opened = try ticket.int64("opened_at_us")
            if let first = try ticket.optionalInt64("first_response_at_us") { firstResponse.append(Self.hours(first - opened)) }
            if let resolved = try ticket.optionalInt64("resolved_at_us") {
                support.ticketsResolved += 1
                resolution.append(Self.hours(resolved - opened))
            }
        }
        support.medianHoursToFirstResponse = Self.median(firstResponse)
        support.medianHoursToResolution = Self.median(resolution)
        report.support = support
        self.report = report
    }

    static func hours(_ microseconds: Int64) -> Double { Double(microseconds) / 3_600_000_000 }

    /// The median, 0 for no values.
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// The anonymised export for the CQC and the GPhC: what happened to each order, linkable across
/// exports through keyed pseudonyms, with nothing that names or locates a person more closely
/// than an age band and a postcode district.
enum ComplianceExport {
    static let header = ["order_ref", "patient_ref", "age_band", "postcode_district", "treatment", "product", "status", "payment",
                         "placed_on", "approved_on", "dispatched_on", "delivered_on", "flags", "prescriber_body"]

    /// Rows after `cursor` (placed-time order), and the cursor of the last.
    static func rows(after cursor: PageToken, before: Int64, limit: Int, cipher: FieldCipher, pseudonyms: BlindIndex,
                     in tx: any ReadTransaction) throws -> (lines: [String], last: PageToken?) {
        let orders = try tx.query("""
            SELECT o.id, o.customer_id, o.treatment_id, o.product_id, o.status, o.payment_status, o.flag_count, o.created_at_us,
                   o.delivery_address, c.date_of_birth, st.registration_body
            FROM orders o JOIN customers c ON c.id = o.customer_id
            LEFT JOIN prescriptions p ON p.order_id = o.id LEFT JOIN staff st ON st.id = p.prescriber_id
            WHERE (o.created_at_us > $1 OR (o.created_at_us = $1 AND o.id > $2)) AND o.created_at_us < $3
            ORDER BY o.created_at_us, o.id LIMIT $4
            """, [.integer(cursor.at), .text(cursor.id), .integer(before), .integer(Int64(limit))])
        var lines: [String] = []
        var last: PageToken?
        for order in orders {
            let id = try order.string("id")
            let customerID = try order.string("customer_id")
            let placed = try order.int64("created_at_us")
            let placedDay = UKTime.localDay(at: Instant(microsecondsSinceEpoch: placed))
            let birth = try Medexpress_V1_CalendarDate(decoding: try cipher.open(
                try order.bytes("date_of_birth"), context: FieldContext(table: "customers", column: "date_of_birth", row: customerID)))
            let address = try Medexpress_V1_PostalAddress(decoding: try cipher.open(
                try order.bytes("delivery_address"), context: FieldContext(table: "orders", column: "delivery_address", row: id)))
            var firstReached: [OrderStatus: Int64] = [:]
            for change in try tx.query("SELECT status, at_us FROM order_status_changes WHERE order_id = $1 ORDER BY seq", [.text(id)]) {
                let status = try OrderMessages.status(stored: try change.int64("status"))
                if firstReached[status] == nil { firstReached[status] = try change.int64("at_us") }
            }
            func day(_ status: OrderStatus) -> String {
                firstReached[status].map { UKTime.localDay(at: Instant(microsecondsSinceEpoch: $0)).description } ?? ""
            }
            let body: String = switch try order.optionalInt64("registration_body") {
            case Int64(Medexpress_V1_ProfessionalRegistration.Body.gmc.rawValue)?: "GMC"
            case Int64(Medexpress_V1_ProfessionalRegistration.Body.gphc.rawValue)?: "GPhC"
            default: ""
            }
            let fields = [
                pseudonym("order", id, pseudonyms), pseudonym("patient", customerID, pseudonyms),
                ageBand(CustomerDetails.age(birth: (Int(birth.year), Int(birth.month), Int(birth.day)),
                                            on: (placedDay.year, placedDay.month, placedDay.day))),
                postcodeDistrict(address.postcode), try order.string("treatment_id"), try order.string("product_id"),
                try OrderMessages.status(stored: try order.int64("status")).wireName,
                Medexpress_V1_PaymentStatus(rawValue: Int32(try order.int64("payment_status"))).protoName,
                placedDay.description, day(.approved), day(.dispatched), day(.delivered), String(try order.int64("flag_count")), body,
            ]
            lines.append(fields.map(csvField).joined(separator: ","))
            last = PageToken(at: placed, id: id)
        }
        return (lines, last)
    }

    /// A keyed pseudonym: stable across exports, not reversible without the key.
    static func pseudonym(_ kind: String, _ id: String, _ index: BlindIndex) -> String {
        kind.prefix(1) + "_" + Hex.encode(Array(index.index("export:\(kind):" + id).prefix(8)))
    }

    static func ageBand(_ age: Int) -> String {
        switch age {
        case ..<25: "18-24"
        case 25..<35: "25-34"
        case 35..<45: "35-44"
        case 45..<55: "45-54"
        case 55..<65: "55-64"
        default: "65+"
        }
    }

    /// The outward code's district ("LS1 4AP" → "LS1"; "SW1A 1AA" → "SW1A"): the area, not the street.
    static func postcodeDistrict(_ postcode: String) -> String {
        let compact = postcode.uppercased().filter { !$0.isWhitespace }
        guard compact.count > 3 else { return "" }
        return String(compact.dropLast(3))
    }

    /// RFC 4180: quoted when it holds a comma, quote or line break.
    static func csvField(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacing("\"", with: "\"\"") + "\""
    }
}
