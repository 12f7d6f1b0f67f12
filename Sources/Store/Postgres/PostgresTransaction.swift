import Glibc

/// A transaction on one PostgreSQL connection.
typealias PostgresTransaction = EngineTransaction<PostgresConnection>

extension PostgresConnection: StatementRunner {}

extension EngineTransaction where Connection == PostgresConnection {
    /// Runs `body` in a transaction at `isolation`, retrying the whole transaction (body
    /// included) when it loses a serialization or deadlock race (SQLSTATE 40001, 40P01), at most
    /// `maxAttempts` times in all, with a short random pause between attempts. After the last,
    /// `.conflict` says how many. A lock given up on (55P03) is a `.conflict` at once. A
    /// transaction that announced a change notifies `changeChannel` as it commits.
    static func run<Result>(on connection: PostgresConnection, writable: Bool, isolation: PostgresEngine.Isolation,
                            maxAttempts: Int, changeChannel: String?,
                            _ body: (PostgresTransaction) throws -> Result) throws -> Result {
        var attempt = 1
        while true {
            do {
                return try runOnce(on: connection, writable: writable, isolation: isolation, changeChannel: changeChannel, body)
            } catch let StoreError.conflict(_, message) {
                guard attempt < maxAttempts, PostgresConnection.isRetryableConflict(message) else {
                    throw StoreError.conflict(attempts: attempt, message: message)
                }
                // Full jitter, growing from 2 ms to at most 100 ms, so colliding transactions part.
                usleep(UInt32.random(in: 0...min(100_000, 1_000 << attempt)))
                attempt += 1
            }
        }
    }

    private static func runOnce<Result>(on connection: PostgresConnection, writable: Bool, isolation: PostgresEngine.Isolation,
                                        changeChannel: String?,
                                        _ body: (PostgresTransaction) throws -> Result) throws -> Result {
        precondition(!connection.isInTransaction, "a connection runs one transaction at a time")
        try begin(on: connection, "BEGIN ISOLATION LEVEL \(isolation.rawValue)\(writable ? "" : " READ ONLY")")
        let transaction = PostgresTransaction(connection: connection, isWritable: writable)
        do {
            let result = try body(transaction)
            transaction.end()
            if let failure = transaction.failure { throw failure }
            if transaction.hasAnnouncedChange, let changeChannel {
                // Queued by the server until COMMIT, dropped by a rollback; one per transaction.
                try connection.run("SELECT pg_notify($1, '')", [.text(changeChannel)])
            }
            // COMMIT of a failed transaction "succeeds" as a rollback; the check above prevents it.
            try connection.run("COMMIT")
            return result
        } catch {
            transaction.end()
            connection.rollback()
            // A conflict the body caught and replaced with its own error is still a conflict.
            if case .conflict? = transaction.failure { throw transaction.failure! }
            throw error
        }
    }

    /// Starts the transaction, first reconnecting a connection known to be broken. A connection
    /// that looked fine but fails at BEGIN (the server restarted or ended it since its last use)
    /// is reconnected and BEGIN tried once more: nothing of the body has run yet.
    private static func begin(on connection: PostgresConnection, _ sql: String) throws(StoreError) {
        if !connection.isConnected { try connection.reconnect() }
        do {
            try connection.run(sql)
        } catch {
            guard case .unavailable = error, !connection.isConnected else { throw error }
            try connection.reconnect()
            try connection.run(sql)
        }
    }
}
