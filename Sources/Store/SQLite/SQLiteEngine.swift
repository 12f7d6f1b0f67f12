import Glibc

/// The embedded engine: one SQLite file, one writer connection on a thread of its own and a few
/// read-only connections on threads of theirs.
///
/// The file is in WAL mode, so readers keep reading their snapshot while the writer commits.
/// Every connection runs with `synchronous=FULL`: in WAL mode, NORMAL fsyncs the log only at
/// checkpoints, so a commit survives the process being killed but not a power cut or kernel
/// crash; FULL fsyncs the log at every commit, so a commit the server acknowledged survives both.
/// That costs one fsync per write transaction, which the single writer pays in turn.
/// Foreign keys are enforced (SQLite's default is not to), and a connection finding the file
/// locked by another process waits up to the busy timeout before giving up with `.conflict`.
/// The file is created with mode 0600.
public final class SQLiteEngine: StoreEngine {
    /// Sizes and limits of an SQLite engine.
    public struct Options: Sendable {
        /// Read-only connections, each on its own thread (1…`maxReaderCount`).
        public var readerCount = 4
        /// Transactions that may wait for the writer, and (separately) for a reader, before new
        /// ones are refused with `StoreError.overloaded` (1…`maxQueueCapacity`).
        public var queueCapacity = 1024
        /// How long a connection waits for a lock held by another process.
        public var busyTimeoutMilliseconds: Int32 = 5000
        /// Prepared statements kept per connection (least recently used dropped first).
        public var statementCacheCapacity = 64
        /// Rows one query may return before it fails.
        public var maxRowsPerQuery = 100_000

        /// The most readers an engine may have.
        public static let maxReaderCount = 32
        /// The longest queue an engine may have.
        public static let maxQueueCapacity = 65_536

        public init() {}

        func validate() throws(StoreError) {
            guard (1...Self.maxReaderCount).contains(readerCount) else {
                throw .invalidConfiguration("SQLite readerCount must be 1…\(Self.maxReaderCount), not \(readerCount)")
            }
            guard (1...Self.maxQueueCapacity).contains(queueCapacity) else {
                throw .invalidConfiguration("SQLite queueCapacity must be 1…\(Self.maxQueueCapacity), not \(queueCapacity)")
            }
            guard busyTimeoutMilliseconds >= 0, statementCacheCapacity >= 1, maxRowsPerQuery >= 1 else {
                throw .invalidConfiguration("SQLite busyTimeoutMilliseconds must be ≥ 0, statementCacheCapacity and maxRowsPerQuery ≥ 1")
            }
        }
    }

    /// The database file.
    public let path: String
    public var dialect: SQLDialect { .sqlite }
    private let writer: DatabaseThreadPool<SQLiteConnection>
    private let readers: DatabaseThreadPool<SQLiteConnection>
    private let changes: Broadcaster<Void>

    /// Opens the database at `path`, creating the file (not its directory) if it does not exist.
    public init(path: String, options: Options = Options()) async throws {
        try options.validate()
        let writer = try await DatabaseThreadPool.start(name: "sqlite-writer", threadCount: 1,
                                                        queueCapacity: options.queueCapacity) { _ in
            try Self.createPrivately(path)
            let connection = try SQLiteConnection(path: path, readOnly: false,
                                                  busyTimeoutMilliseconds: options.busyTimeoutMilliseconds,
                                                  statementCacheCapacity: options.statementCacheCapacity,
                                                  maxRowsPerQuery: options.maxRowsPerQuery)
            let mode = try connection.run("PRAGMA journal_mode=WAL", collectingRows: true).rows.first?.string("journal_mode")
            guard mode == "wal" else {
                throw StoreError.unavailable("\(path) cannot use write-ahead logging (journal mode stays \(mode ?? "unknown")); is it on a network file system?")
            }
            try connection.runScript("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON")
            return connection
        }
        do {
            // Readers open after the writer, once the file exists and is in WAL mode.
            readers = try await DatabaseThreadPool.start(name: "sqlite-reader", threadCount: options.readerCount,
                                                         queueCapacity: options.queueCapacity) { _ in
                let connection = try SQLiteConnection(path: path, readOnly: true,
                                                      busyTimeoutMilliseconds: options.busyTimeoutMilliseconds,
                                                      statementCacheCapacity: options.statementCacheCapacity,
                                                      maxRowsPerQuery: options.maxRowsPerQuery)
                try connection.runScript("PRAGMA foreign_keys=ON")
                return connection
            }
        } catch {
            await writer.close()
            throw error
        }
        self.path = path
        self.writer = writer
        changes = Broadcaster(name: "the SQLite engine's change wake-ups", maxStreamCount: Self.maxChangeWakeUpStreamCount)
        // Only this engine writes the file (one process owns it), so a stream is in effect at once.
        changes.setGreeting(())
    }

    public func read<Result: Sendable>(_ body: @escaping @Sendable (any ReadTransaction) throws -> Result) async throws -> Result {
        try await readers.run { connection in
            try SQLiteTransaction.run(on: connection, writable: false) { try body($0) }
        }
    }


    @discardableResult
    public func write<Result: Sendable>(_ body: @escaping @Sendable (any WriteTransaction) throws -> Result) async throws -> Result {
        try await writer.run { [changes] connection in
            try SQLiteTransaction.run(on: connection, writable: true, changeWakeUps: changes) { try body($0) }
        }
    }

    public func changeWakeUps() throws(StoreError) -> AsyncStream<Void> {
        try changes.stream(bufferLimit: 1) { $0 }
    }

    public func close() async {
        writer.stopAccepting()
        readers.stopAccepting()
        await readers.close()
        await writer.close()
        changes.finish()
    }

    /// Write transactions waiting for the writer thread.
    var waitingWrites: Int { writer.waitingCount }

    /// Creates the file with mode 0600 before SQLite does (SQLite would use 0644 less the umask);
    /// its -wal and -shm files take the database file's mode.
    private static func createPrivately(_ path: String) throws(StoreError) {
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw .unavailable("cannot create the SQLite database \(path): \(String(cString: strerror(errno)))")
        }
        Glibc.close(descriptor)
    }
}
