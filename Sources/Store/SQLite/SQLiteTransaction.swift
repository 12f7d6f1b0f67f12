/// A transaction on one SQLite connection.
typealias SQLiteTransaction = EngineTransaction<SQLiteConnection>

extension SQLiteConnection: StatementRunner {}

extension EngineTransaction where Connection == SQLiteConnection {
    /// Runs `body` in a transaction on `connection`: BEGIN IMMEDIATE (the writer takes the write
    /// lock at once, so the transaction cannot fail later for want of it) or BEGIN (a reader's
    /// snapshot starts at its first read), then COMMIT, or ROLLBACK when anything failed.
    /// After a commit of a transaction that announced a change, wakes `changeWakeUps`.
    static func run<Result>(on connection: SQLiteConnection, writable: Bool, changeWakeUps: Broadcaster<Void>? = nil,
                            _ body: (SQLiteTransaction) throws -> Result) throws -> Result {
        precondition(!connection.isInTransaction, "a connection runs one transaction at a time")
        try connection.run(writable ? "BEGIN IMMEDIATE" : "BEGIN")
        let transaction = SQLiteTransaction(connection: connection, isWritable: writable)
        do {
            let result = try body(transaction)
            transaction.end()
            if let failure = transaction.failure { throw failure }
            try connection.run("COMMIT")
            if transaction.hasAnnouncedChange { changeWakeUps?.send(()) }
            return result
        } catch {
            transaction.end()
            connection.rollback()
            throw error
        }
    }
}
