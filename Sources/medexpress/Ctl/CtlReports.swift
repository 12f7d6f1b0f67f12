import ClientKit

/// The days `--from` to `--to` (both included, UTC) a report or export covers.
struct CtlPeriod {
    /// The longest period one report or export may cover, in days.
    static let maxDays: Int64 = 3_660
    static let secondsPerDay: Int64 = 86_400

    let fromSeconds: Int64
    let beforeSeconds: Int64

    init(_ arguments: inout Arguments) throws(UsageError) {
        guard let from = arguments.string("from"), let to = arguments.string("to") else {
            throw UsageError("give the period as --from YYYY-MM-DD --to YYYY-MM-DD (both days included)")
        }
        fromSeconds = try CtlFormat.day(from, option: "from")
        beforeSeconds = try CtlFormat.day(to, option: "to") + Self.secondsPerDay
        guard beforeSeconds > fromSeconds else { throw UsageError("--to \(to) is before --from \(from)") }
        guard beforeSeconds - fromSeconds <= Self.maxDays * Self.secondsPerDay else {
            throw UsageError("a period of at most \(Self.maxDays) days")
        }
    }

    var from: Google_Protobuf_Timestamp { .with { $0.seconds = fromSeconds } }
    var before: Google_Protobuf_Timestamp { .with { $0.seconds = beforeSeconds } }
}

/// `ctl reports`: the period's figures as tables, or as CSV (`section,key,value`) with `--csv`
/// (AdminService.GetReport).
struct CtlReports {
    let period: CtlPeriod
    let csv: Bool

    init(_ words: ArraySlice<String>, _ arguments: inout Arguments) throws(UsageError) {
        try CtlCommand.requireNoMoreWords(words)
        period = try CtlPeriod(&arguments)
        csv = arguments.flag("csv")
    }

    func run(_ session: CtlSession) async throws {
        let admin = Medexpress_V1_AdminServiceClient(channel: session.channel)
        let report = try await session.call("get the report", needs: "ADMIN") {
            try await admin.getReport(.with {
                $0.from = period.from
                $0.before = period.before
            })
        }
        let sections = Self.sections(report)
        if csv {
            var table = CtlTable(["section", "key", "value"])
            for (name, rows) in sections {
                for (key, value) in rows { table.append([name, key, value]) }
            }
            printLine(table.csv())
            return
        }
        printLine("report \(CtlFormat.time(report.from)) to \(CtlFormat.time(report.before)) (end excluded)")
        for (name, rows) in sections {
            var table = CtlTable([name.uppercased().replacingUnderscores(), "VALUE"])
            for (key, value) in rows { table.append([key, value]) }
            printLine("\n" + table.text())
        }
    }

    /// The report as named sections of key and value, in the order a reader wants them.
    static func sections(_ report: Medexpress_V1_Report) -> [(String, [(String, String)])] {
        let volumes = report.volumes ?? .init()
        let delivery = report.delivery ?? .init()
        let feedback = report.feedback ?? .init()
        let support = report.support ?? .init()
        func sorted<Key: Comparable>(_ map: [Key: Int64]) -> [(String, String)] {
            map.sorted { $0.key < $1.key }.map { ("\($0.key)", "\($0.value)") }
        }
        return [
            ("orders", [("orders", "\(volumes.orders)"), ("value", CtlFormat.money(volumes.value))]),
            ("orders_by_day", sorted(volumes.byDay)),
            ("orders_by_treatment", sorted(volumes.byTreatment)),
            ("orders_by_status", sorted(volumes.byStatus)),
            ("delivery", [
                ("dispatched", "\(delivery.dispatched)"),
                ("delivered", "\(delivery.delivered)"),
                ("failed_deliveries", "\(delivery.failedDeliveries)"),
                ("median_hours_approval_to_dispatch", CtlFormat.decimal(delivery.medianHoursApprovalToDispatch)),
                ("median_hours_dispatch_to_delivery", CtlFormat.decimal(delivery.medianHoursDispatchToDelivery)),
            ] + delivery.byService.flatMap { service in [
                ("\(service.serviceCode) delivered", "\(service.delivered)"),
                ("\(service.serviceCode) next_day_rate", CtlFormat.percent(service.nextDayRate)),
            ] }),
            ("feedback", [("responses", "\(feedback.responses)"), ("average_rating", CtlFormat.decimal(feedback.averageRating))]
                + feedback.byRating.sorted { $0.key < $1.key }.map { ("rating \($0.key)", "\($0.value)") }),
            ("support", [
                ("tickets_opened", "\(support.ticketsOpened)"),
                ("tickets_resolved", "\(support.ticketsResolved)"),
                ("median_hours_to_first_response", CtlFormat.decimal(support.medianHoursToFirstResponse)),
                ("median_hours_to_resolution", CtlFormat.decimal(support.medianHoursToResolution)),
            ]),
        ]
    }
}

/// `ctl export`: the anonymised compliance export (CQC/GPhC) as CSV on standard output, with
/// progress on standard error (AdminService.ExportComplianceReport).
struct CtlExport {
    /// Rows between progress lines.
    static let progressEveryRows = 1_000

    let period: CtlPeriod

    init(_ words: ArraySlice<String>, _ arguments: inout Arguments) throws(UsageError) {
        try CtlCommand.requireNoMoreWords(words)
        period = try CtlPeriod(&arguments)
    }

    func run(_ session: CtlSession) async throws {
        let admin = Medexpress_V1_AdminServiceClient(channel: session.channel)
        let rows = try await session.call("export the compliance report", needs: "ADMIN") {
            var rows = 0
            for try await row in try await admin.exportComplianceReport(.with {
                $0.from = period.from
                $0.before = period.before
            }) {
                printLine(row.line)
                rows += 1
                if rows % Self.progressEveryRows == 0 { printError("exported \(rows) rows…") }
            }
            return rows
        }
        printError("export complete: \(rows) lines")
    }
}

private extension String {
    func replacingUnderscores() -> String { String(map { $0 == "_" ? " " : $0 }) }
}
