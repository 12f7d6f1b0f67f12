/// A transaction on one SQLite connection, handed to a `read` or `write` body.
final class SQLiteTransaction: WriteTransaction {
    private let connection: SQLiteConnection
    private let isWritable: Bool
    private var state = TransactionState()

    init(connection: SQLiteConnection, isWritable: Bool) {
        self.connection = connection
        self.isWritable = isWritable
    }

    /// The first statement failure, which fails the whole transaction.
    var failure: StoreError? { state.failure }

    func query(_ sql: String, _ parameters: [SQLValue]) throws -> [SQLRow] {
        try state.perform { () throws(StoreError) in try connection.run(sql, parameters, collectingRows: true).rows }
    }

    @discardableResult
    func execute(_ sql: String, _ parameters: [SQLValue]) throws -> Int {
        try state.perform { () throws(StoreError) in
            guard isWritable else { throw .programmingError("execute is for write transactions: \(SQLText.excerpt(sql))") }
            return try connection.run(sql, parameters).changes
        }
    }

    func executeScript(_ sql: String) throws {
        try state.perform { () throws(StoreError) in
            guard isWritable else { throw .programmingError("executeScript is for write transactions: \(SQLText.excerpt(sql))") }
            try connection.runScript(sql)
        }
    }

    /// Runs `body` in a transaction on `connection`: BEGIN IMMEDIATE (the writer takes the write
    /// lock at once, so the transaction cannot fail later for want of it) or BEGIN (a reader's
    /// snapshot starts at its first read), then COMMIT, or ROLLBACK when anything failed.
    static func run<Result>(on connection: SQLiteConnection, writable: Bool,
                            _ body: (SQLiteTransaction) throws -> Result) throws -> Result {
        precondition(!connection.isInTransaction, "a connection runs one transaction at a time")
        try connection.run(writable ? "BEGIN IMMEDIATE" : "BEGIN")
        let transaction = SQLiteTransaction(connection: connection, isWritable: writable)
        do {
            let result = try body(transaction)
            transaction.state.end()
            if let failure = transaction.failure { throw failure }
            try connection.run("COMMIT")
            return result
        } catch {
            transaction.state.end()
            connection.rollback()
            throw error
        }
    }
}
