import ClientKit
import Glibc

/// `ctl orders watch`: the live dashboard (AdminService.WatchOrders). On a terminal it redraws in
/// place on every update: orders by status at the snapshot and how many arrived in each status
/// since, the flagged and overdue orders, and the latest changes. Into a pipe or file it writes a
/// line per fact instead. Runs until Ctrl-C or SIGTERM.
struct CtlOrdersWatch {
    /// Changes kept on screen, at most.
    static let maxShownChanges = 100
    /// Flagged or overdue orders listed on screen, at most.
    static let maxShownOrders = 10

    let shownChanges: Int

    init(_ words: ArraySlice<String>, _ arguments: inout Arguments) throws(UsageError) {
        try CtlCommand.requireNoMoreWords(words)
        shownChanges = try arguments.integer("last", default: 10, range: 1...Self.maxShownChanges)
    }

    func run(_ session: CtlSession) async throws {
        let admin = Medexpress_V1_AdminServiceClient(channel: session.channel)
        let stream = try await session.call("watch orders", needs: "ADMIN") {
            try await admin.watchOrders(.init())
        }
        let live = CtlTerminal.standardOutputIsTerminal
        let shownChanges = self.shownChanges
        let (outcomes, outcome) = AsyncStream<WatchOutcome>.makeStream()
        let watcher = Task {
            var board = CtlDashboard(shownChanges: shownChanges)
            do {
                for try await update in stream {
                    switch update.update {
                    case .snapshot(let snapshot)?:
                        board.snapshot = snapshot
                        if !live { Self.printSnapshot(snapshot) }
                    case .change(let change)?:
                        board.record(change)
                        if !live { printLine(Self.line(change)) }
                    case nil:
                        continue
                    }
                    if live { printLine("\u{1B}[H\u{1B}[2J" + board.render()) }
                }
                outcome.yield(.ended(nil))
            } catch {
                outcome.yield(.ended(error))
            }
        }
        // The signal thread cannot be cancelled; it ends with the process.
        Task {
            _ = await Signals.waitForTermination()
            outcome.yield(.stopped)
        }
        for await first in outcomes {
            switch first {
            case .stopped:
                stream.cancel()
                watcher.cancel()
                return
            case .ended(let error?):
                try await session.call("watch orders", needs: "ADMIN") { throw error }
            case .ended(nil):
                break
            }
            break
        }
        throw CtlFailure("the server ended the watch")
    }

    /// How a watch ends: Ctrl-C or SIGTERM, or the stream closing (with the error, if any).
    private enum WatchOutcome: Sendable {
        case stopped
        case ended((any Error)?)
    }

    static func printSnapshot(_ snapshot: Medexpress_V1_DashboardSnapshot) {
        printLine("snapshot at \(CtlFormat.time(snapshot.at)): "
            + (snapshot.counts.isEmpty ? "no orders" : snapshot.counts.map { "\(CtlFormat.status($0.status)) \($0.count)" }.joined(separator: ", ")))
        for order in snapshot.flagged { printLine("flagged \(summaryLine(order))") }
        for order in snapshot.overdue { printLine("overdue \(summaryLine(order))") }
    }

    static func line(_ change: Medexpress_V1_OrderChange) -> String {
        "\(CtlFormat.time(change.at)) \(change.action) by \(change.actor.isEmpty ? "-" : change.actor): " + summaryLine(change.order ?? .init())
    }

    static func summaryLine(_ order: Medexpress_V1_OrderSummary) -> String {
        "\(order.orderId) \(CtlFormat.status(order.status)) \(order.treatmentId) \(CtlFormat.money(order.total))"
            + (order.flagCount > 0 ? " flags \(order.flagCount)" : "")
    }
}

/// What the dashboard shows: the snapshot, then the changes that followed it.
struct CtlDashboard {
    let shownChanges: Int
    var snapshot = Medexpress_V1_DashboardSnapshot()
    private(set) var recent: [Medexpress_V1_OrderChange] = []
    private(set) var arrivals: [Medexpress_V1_OrderStatus: Int] = [:]
    private(set) var changeCount = 0

    init(shownChanges: Int) { self.shownChanges = shownChanges }

    mutating func record(_ change: Medexpress_V1_OrderChange) {
        changeCount += 1
        arrivals[change.order?.status ?? .unspecified, default: 0] += 1
        recent.append(change)
        if recent.count > shownChanges { recent.removeFirst(recent.count - shownChanges) }
    }

    func render() -> String {
        var counts = CtlTable(["STATUS", "AT SNAPSHOT", "ARRIVED SINCE"])
        let statuses = Medexpress_V1_OrderStatus.allCases.filter { status in
            status != .unspecified && (snapshot.counts.contains { $0.status == status } || arrivals[status] != nil)
        }
        for status in statuses {
            let count = snapshot.counts.first { $0.status == status }?.count ?? 0
            counts.append([CtlFormat.status(status), "\(count)", "\(arrivals[status] ?? 0)"])
        }
        var text = "MedExpress orders, snapshot \(CtlFormat.time(snapshot.at)), \(changeCount) change(s) since (Ctrl-C to stop)\n\n"
        text += counts.text() + "\n"
        for (title, orders) in [("flagged, awaiting review", snapshot.flagged), ("overdue", snapshot.overdue)] where !orders.isEmpty {
            text += "\n\(title) (\(orders.count))\n"
            text += orders.prefix(CtlOrdersWatch.maxShownOrders).map { "  " + CtlOrdersWatch.summaryLine($0) }.joined(separator: "\n") + "\n"
        }
        text += "\nlatest changes\n"
        text += recent.isEmpty ? "  (none yet)" : recent.reversed().map { "  " + CtlOrdersWatch.line($0) }.joined(separator: "\n")
        return text
    }
}
