/// One database behind the store's transaction API: SQLite embedded in the data directory, or
/// PostgreSQL for several server instances. Transactions run as synchronous closures on the
/// engine's own threads (never on an event loop, never parked on Swift's cooperative pool); the
/// caller awaits their result.
///
/// Rules both engines keep alike:
/// - A statement that fails fails its whole transaction: later statements in it throw, and the
///   transaction rolls back with the first error even when the body caught it and returned.
/// - A write body may run more than once (PostgreSQL retries a transaction that lost a
///   serialization or deadlock race), so it must have no effects outside the transaction.
/// - Each engine bounds its queue of waiting transactions; past the bound, work is refused with
///   `StoreError.overloaded` instead of waiting.
/// - A task cancelled before its transaction started gets `CancellationError`; once started, a
///   transaction runs to its end.
public protocol StoreEngine: Sendable {
    /// Which database this is, for SQL that must differ between engines.
    var dialect: SQLDialect { get }

    /// Runs `body` in a read-only transaction (a consistent snapshot).
    func read<Result: Sendable>(_ body: @escaping @Sendable (any ReadTransaction) throws -> Result) async throws -> Result

    /// Runs `body` in a read-write transaction. It commits when `body` returns and rolls back when
    /// it throws; once this returns, the commit is durable.
    @discardableResult
    func write<Result: Sendable>(_ body: @escaping @Sendable (any WriteTransaction) throws -> Result) async throws -> Result

    /// A stream of wake-ups for readers waiting on changes (live views): it yields once when it
    /// takes effect, then after each commit of a transaction that called `announceChange()`:
    /// on SQLite, commits through this engine; on PostgreSQL, commits by any process on the
    /// database (LISTEN/NOTIFY), and once more after the listening connection is re-made, since
    /// announcements may have been missed while it was down. A wake-up says "look again", not
    /// what changed, and unread ones coalesce into one. The stream ends when the engine closes.
    /// Throws `.overloaded` past `maxChangeWakeUpStreamCount` open streams, `.unavailable`
    /// once the engine is closed.
    func changeWakeUps() throws(StoreError) -> AsyncStream<Void>

    /// Finishes the transactions in progress, then closes every connection.
    func close() async
}

extension StoreEngine {
    /// The most change wake-up streams an engine serves at once.
    public static var maxChangeWakeUpStreamCount: Int { 4096 }
}

/// The statements a read-only transaction may run.
public protocol ReadTransaction {
    /// Runs a query with `$1`, `$2`, … parameters and returns every row.
    func query(_ sql: String, _ parameters: [SQLValue]) throws -> [SQLRow]
}

/// The statements a read-write transaction may run.
public protocol WriteTransaction: ReadTransaction {
    /// Runs a statement with `$1`, `$2`, … parameters and returns how many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ parameters: [SQLValue]) throws -> Int

    /// Runs several `;`-separated statements without parameters (migrations, schema set-up).
    func executeScript(_ sql: String) throws

    /// Asks for the engine's change wake-ups (`StoreEngine.changeWakeUps()`) to be sent when
    /// this transaction commits; none are sent if it rolls back. Several calls send one.
    func announceChange() throws
}

extension ReadTransaction {
    /// Runs a query without parameters.
    public func query(_ sql: String) throws -> [SQLRow] { try query(sql, []) }
}

extension WriteTransaction {
    /// Runs a statement without parameters.
    @discardableResult
    public func execute(_ sql: String) throws -> Int { try execute(sql, []) }
}

/// The SQL dialects the store speaks.
public enum SQLDialect: Sendable, Hashable {
    case sqlite
    case postgres
}
