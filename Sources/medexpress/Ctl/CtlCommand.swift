/// `medexpress ctl …`: the staff command line, a ClientKit client signing in with the staff
/// member's client certificate, password and TOTP code.
struct CtlCommand {
    static let usage = """
    medexpress ctl <subcommand> [options]

      orders list [--status S[,S…]] [--treatment T] [--flagged] [--limit N] [--csv]
      orders show ORDER_ID
      orders watch [--last N]          live dashboard (refreshes in place on a terminal)
      review                           the prescriber's review queue [--flagged]
      review ORDER_ID                  the case: answers with their history, flags, verifications
      review ORDER_ID approve [--directions D] | reject --reason R | ask --message M
      dispense ORDER_ID [--scans G,G]  start, scan each item's barcode (asked, or given), complete, book the shipment
      reports --from YYYY-MM-DD --to YYYY-MM-DD [--csv]
      tickets [--state open|pending|escalated|resolved] [--mine] [--csv]   support tickets, oldest first
      tickets show TICKET_ID           the ticket and its conversation, internal notes marked
      tickets assign TICKET_ID [--to STAFF_ID] | reply TICKET_ID --text T | --template NAME [--await-customer]
      tickets escalate TICKET_ID --to prescriber|pharmacy --note N | resolve TICKET_ID --resolution R
      export --from YYYY-MM-DD --to YYYY-MM-DD > file.csv   the anonymised compliance export

    sign-in options (every subcommand):
      --user USERNAME              your staff username (required)
      --cert FILE --key FILE       your client certificate and key (default ./data/staff/USERNAME.pem/.key)
      --totp-code CODE             the code from your authenticator (asked on the terminal when absent)
      --server HOST:PORT --ca FILE --server-name NAME
                                   defaults 127.0.0.1:50051, ./data/tls/ca.pem, localhost
      the password comes from MEDEXPRESS_STAFF_PASSWORD or is asked on the terminal (not echoed)
    """

    /// Options that take no value, across every subcommand.
    static let booleanFlags: Set<String> = ["flagged", "csv", "mine", "await-customer"]

    private let words: [String]
    private var arguments: Arguments

    /// Splits `rawArguments` into the subcommand's words (`orders show ord_…`) and its options.
    init(_ rawArguments: ArraySlice<String>) throws(UsageError) {
        var words: [String] = []
        var options: [String] = []
        var iterator = rawArguments.makeIterator()
        while let argument = iterator.next() {
            guard argument.hasPrefix("--") else {
                words.append(argument)
                continue
            }
            options.append(argument)
            let name = String(argument.dropFirst(2))
            if !name.contains("="), !Self.booleanFlags.contains(name), let value = iterator.next() {
                options.append(value)
            }
        }
        self.words = words
        arguments = try Arguments(options[...], booleanFlags: Self.booleanFlags)
    }

    func run() async throws {
        if words.first == "help" || words.isEmpty {
            printLine(Self.usage)
            return
        }
        var arguments = self.arguments
        let connection = try CtlConnection(&arguments)
        let words = self.words[...]
        switch (words.first, words.dropFirst().first) {
        case ("orders", "list"?):
            let command = try CtlOrdersList(words.dropFirst(2), &arguments)
            try arguments.rejectUnknown()
            try await connection.withSession { try await command.run($0) }
        case ("orders", "show"?):
            let command = try CtlOrderShow(words.dropFirst(2))
            try arguments.rejectUnknown()
            try await connection.withSession { try await command.run($0) }
        case ("orders", "watch"?):
            let command = try CtlOrdersWatch(words.dropFirst(2), &arguments)
            try arguments.rejectUnknown()
            try await connection.withSession { try await command.run($0) }
        case ("review", _):
            let command = try CtlReview(words.dropFirst(), &arguments)
            try arguments.rejectUnknown()
            try await connection.withSession { try await command.run($0) }
        case ("dispense", _):
            let command = try CtlDispense(words.dropFirst(), &arguments)
            try arguments.rejectUnknown()
            try await connection.withSession { try await command.run($0) }
        case ("reports", _):
            let command = try CtlReports(words.dropFirst(), &arguments)
            try arguments.rejectUnknown()
            try await connection.withSession { try await command.run($0) }
        case ("tickets", _):
            let command = try CtlTickets(words.dropFirst(), &arguments)
            try arguments.rejectUnknown()
            try await connection.withSession { try await command.run($0, certificateFile: connection.certificateFile) }
        case ("export", _):
            let command = try CtlExport(words.dropFirst(), &arguments)
            try arguments.rejectUnknown()
            try await connection.withSession { try await command.run($0) }
        default:
            throw UsageError("unknown ctl subcommand \(words.joined(separator: " ")):\n\(Self.usage)")
        }
    }

    /// Fails unless `words` (what follows the subcommand) is empty.
    static func requireNoMoreWords(_ words: ArraySlice<String>) throws(UsageError) {
        if let extra = words.first { throw UsageError("unexpected argument \(extra)") }
    }
}

/// A ctl command that cannot go on: the message says what happened and what to do (exit 1).
struct CtlFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
