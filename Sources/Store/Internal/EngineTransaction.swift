/// What a transaction needs of its engine's connection.
protocol StatementRunner: AnyObject {
    /// Runs one statement; its rows when `collectingRows`, and how many rows it changed.
    func run(_ sql: String, _ parameters: [SQLValue], collectingRows: Bool) throws(StoreError) -> (rows: [SQLRow], changes: Int)
    /// Runs several `;`-separated statements without parameters.
    func runScript(_ sql: String) throws(StoreError)
    /// Whether a transaction is open on the connection.
    var isInTransaction: Bool { get }
    /// Ends the open transaction without its changes.
    func rollback()
}

/// A transaction on one connection, handed to a `read` or `write` body. The first statement that
/// fails fails the whole transaction (later statements throw, and it rolls back even when the
/// body caught the error), alike on both engines.
final class EngineTransaction<Connection: StatementRunner>: WriteTransaction {
    let connection: Connection
    private let isWritable: Bool
    private var state = TransactionState()

    init(connection: Connection, isWritable: Bool) {
        self.connection = connection
        self.isWritable = isWritable
    }

    /// The first statement failure, which fails the whole transaction.
    var failure: StoreError? { state.failure }

    /// Whether the body asked for change wake-ups at commit (`announceChange()`).
    private(set) var hasAnnouncedChange = false

    /// The body has returned or thrown: no statement may run any more.
    func end() { state.end() }

    func query(_ sql: String, _ parameters: [SQLValue]) throws -> [SQLRow] {
        try state.perform { () throws(StoreError) in try connection.run(sql, parameters, collectingRows: true).rows }
    }

    @discardableResult
    func execute(_ sql: String, _ parameters: [SQLValue]) throws -> Int {
        try state.perform { () throws(StoreError) in
            guard isWritable else { throw .programmingError("execute is for write transactions: \(SQLText.excerpt(sql))") }
            return try connection.run(sql, parameters, collectingRows: false).changes
        }
    }

    func announceChange() throws {
        try state.perform { () throws(StoreError) in
            guard isWritable else { throw .programmingError("announceChange is for write transactions") }
            hasAnnouncedChange = true
        }
    }

    func executeScript(_ sql: String) throws {
        try state.perform { () throws(StoreError) in
            guard isWritable else { throw .programmingError("executeScript is for write transactions: \(SQLText.excerpt(sql))") }
            try connection.runScript(sql)
        }
    }
}
