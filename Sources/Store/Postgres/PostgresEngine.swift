import Synchronization

/// The engine for several server instances: PostgreSQL through libpq, with a bounded pool of
/// connections, each on a thread of its own, taking transactions from one bounded queue.
///
/// Write transactions run at READ COMMITTED unless the options or the call say otherwise, and
/// are retried whole when they lose a serialization or deadlock race. Reads run at REPEATABLE
/// READ, READ ONLY: one snapshot for the whole body. A broken connection is reconnected before
/// its next transaction; while the server is down, transactions fail with `.unavailable`.
///
/// Change wake-ups travel as notifications on the options' `changeChannel`, so every instance's
/// streams see every instance's commits; the engine listens on a connection of its own, opened
/// with the first stream asked for.
public final class PostgresEngine: StoreEngine {
    /// PostgreSQL's isolation levels.
    public enum Isolation: String, Sendable, Hashable {
        case readCommitted = "READ COMMITTED"
        case repeatableRead = "REPEATABLE READ"
        case serializable = "SERIALIZABLE"
    }

    /// Sizes and limits of a PostgreSQL engine.
    public struct Options: Sendable {
        /// Connections, each on its own thread (1…`maxConnectionCount`).
        public var connectionCount = 4
        /// Transactions that may wait for a connection before new ones are refused with
        /// `StoreError.overloaded` (1…`maxQueueCapacity`).
        public var queueCapacity = 1024
        /// The isolation level of `write` transactions.
        public var isolation = Isolation.readCommitted
        /// Tries of a transaction that keeps losing serialization or deadlock races (1…20).
        public var maxTransactionAttempts = 5
        /// How long connecting may take, unless the URL says (`connect_timeout`).
        public var connectTimeoutSeconds = 5
        /// Rows one query may return before it fails.
        public var maxRowsPerQuery = 100_000
        /// The notification channel of change wake-ups (`announceChange()`), shared by every
        /// instance on the database; a plain lower-case identifier (see `PostgresListener`).
        /// Notifications are per database, not per schema: deployments sharing a database in
        /// separate schemas need channels of their own.
        public var changeChannel = "medexpress_changes"

        /// The most connections an engine may open.
        public static let maxConnectionCount = 64
        /// The longest queue an engine may have.
        public static let maxQueueCapacity = 65_536

        public init() {}

        func validate() throws(StoreError) {
            guard (1...Self.maxConnectionCount).contains(connectionCount) else {
                throw .invalidConfiguration("PostgreSQL connectionCount must be 1…\(Self.maxConnectionCount), not \(connectionCount)")
            }
            guard (1...Self.maxQueueCapacity).contains(queueCapacity) else {
                throw .invalidConfiguration("PostgreSQL queueCapacity must be 1…\(Self.maxQueueCapacity), not \(queueCapacity)")
            }
            guard (1...20).contains(maxTransactionAttempts) else {
                throw .invalidConfiguration("PostgreSQL maxTransactionAttempts must be 1…20, not \(maxTransactionAttempts)")
            }
            guard connectTimeoutSeconds >= 1, maxRowsPerQuery >= 1 else {
                throw .invalidConfiguration("PostgreSQL connectTimeoutSeconds and maxRowsPerQuery must be ≥ 1")
            }
            try PostgresListener.validate(channel: changeChannel)
        }
    }

    public var dialect: SQLDialect { .postgres }
    private let options: Options
    private let pool: DatabaseThreadPool<PostgresConnection>
    private let url: String
    private let changeListener = Mutex<ChangeListener>(.notStarted)

    /// The listener behind `changeWakeUps()`, started with the first stream.
    private enum ChangeListener {
        case notStarted
        case listening(PostgresListener)
        case closed
    }

    /// Connects every connection of the pool to the server `url` names (`postgres://…` or
    /// `postgresql://…`, as libpq takes them). Throws `.unavailable` when the server cannot be
    /// reached and `.invalidConfiguration` when the URL does not parse.
    public init(url: String, options: Options = Options()) async throws {
        try options.validate()
        try PostgresConnection.validate(url: url)
        self.options = options
        self.url = url
        pool = try await DatabaseThreadPool.start(name: "postgres", threadCount: options.connectionCount,
                                                  queueCapacity: options.queueCapacity) { _ in
            try PostgresConnection(url: url, connectTimeoutSeconds: options.connectTimeoutSeconds,
                                   maxRowsPerQuery: options.maxRowsPerQuery)
        }
    }

    public func read<Result: Sendable>(_ body: @escaping @Sendable (any ReadTransaction) throws -> Result) async throws -> Result {
        let maxAttempts = options.maxTransactionAttempts
        return try await pool.run { connection in
            try PostgresTransaction.run(on: connection, writable: false, isolation: .repeatableRead,
                                        maxAttempts: maxAttempts, changeChannel: nil) { try body($0) }
        }
    }


    @discardableResult
    public func write<Result: Sendable>(_ body: @escaping @Sendable (any WriteTransaction) throws -> Result) async throws -> Result {
        try await write(isolation: options.isolation, body)
    }

    /// Runs `body` in a read-write transaction at `isolation` (SERIALIZABLE for a check that
    /// spans rows no constraint or row lock covers).
    @discardableResult
    public func write<Result: Sendable>(isolation: Isolation,
                                        _ body: @escaping @Sendable (any WriteTransaction) throws -> Result) async throws -> Result {
        let maxAttempts = options.maxTransactionAttempts
        let changeChannel = options.changeChannel
        return try await pool.run { connection in
            try PostgresTransaction.run(on: connection, writable: true, isolation: isolation,
                                        maxAttempts: maxAttempts, changeChannel: changeChannel) { try body($0) }
        }
    }

    public func changeWakeUps() throws(StoreError) -> AsyncStream<Void> {
        let listener = try changeListener.withLock { (state) throws(StoreError) -> PostgresListener in
            switch state {
            case let .listening(listener):
                return listener
            case .notStarted:
                let listener = try PostgresListener(url: url, channel: options.changeChannel,
                                                    connectTimeoutSeconds: options.connectTimeoutSeconds)
                state = .listening(listener)
                return listener
            case .closed:
                throw .unavailable("the store is closed (postgres)")
            }
        }
        return try listener.wakeUps()
    }

    public func close() async {
        let listener = changeListener.withLock { state -> PostgresListener? in
            defer { state = .closed }
            if case let .listening(listener) = state { return listener }
            return nil
        }
        await listener?.close()
        await pool.close()
    }

    /// Transactions waiting for a connection.
    var waitingTransactions: Int { pool.waitingCount }
}
