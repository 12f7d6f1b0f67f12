import CLibPQ
import Glibc

/// One libpq connection (`PGconn*`). It is confined to the database thread that opened it.
/// Parameters go out and results come back in binary format, so integers and bytea are exact
/// with no text escaping. This file is the only code that calls libpq.
final class PostgresConnection {
    private let handle: OpaquePointer
    private let maxRowsPerQuery: Int

    /// Connects to the server `url` names (a `postgres://` or `postgresql://` URL, or any
    /// connection string libpq takes), with a connect timeout unless the URL sets one, and
    /// `defaults`: further libpq settings (keyword, value) the URL may override.
    init(url: String, connectTimeoutSeconds: Int, maxRowsPerQuery: Int,
         defaults: [(keyword: String, value: String)] = []) throws(StoreError) {
        // Entries before `dbname` yield to the URL's own settings; those after it override them.
        let keywords = defaults.map(\.keyword) + ["connect_timeout", "application_name", "dbname", "client_encoding"]
        let values = defaults.map(\.value) + ["\(connectTimeoutSeconds)", "medexpress", url, "UTF8"]
        let connection = withCStringArray(keywords) { keywords in
            withCStringArray(values) { values in PQconnectdbParams(keywords, values, 1) }
        }
        guard let connection else { throw .unavailable("libpq could not allocate a connection") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.lastError(connection)
            PQfinish(connection)
            throw .unavailable("cannot connect to PostgreSQL: \(message)")
        }
        handle = connection
        self.maxRowsPerQuery = maxRowsPerQuery
        // Notices ("relation already exists, skipping") would go to stderr; they are not errors.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
    }

    deinit { PQfinish(handle) }

    /// Checks that `url` parses as a libpq connection string, without connecting.
    static func validate(url: String) throws(StoreError) {
        var message: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(url, &message) else {
            let reason = message.map { String(cString: $0).trimmingWhitespace() } ?? "unparseable"
            PQfreemem(message)
            throw .invalidConfiguration("the PostgreSQL URL is not valid: \(reason)")
        }
        PQconninfoFree(options)
    }

    /// Whether the connection is up, as far as libpq knows (a dead server is found on next use).
    var isConnected: Bool { PQstatus(handle) == CONNECTION_OK }

    /// The server process serving this connection.
    var backendProcessID: Int32 { PQbackendPID(handle) }

    /// Whether a transaction is open (or failed and not yet rolled back) on this connection.
    var isInTransaction: Bool {
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// Closes the connection and opens it again with the same settings.
    func reconnect() throws(StoreError) {
        PQreset(handle)
        guard isConnected else { throw .unavailable("cannot reconnect to PostgreSQL: \(Self.lastError(handle))") }
    }

    /// Runs one statement with `$1`, `$2`, … parameters; returns its rows and how many rows it
    /// changed (or returned).
    @discardableResult
    func run(_ sql: String, _ parameters: [SQLValue] = [],
             collectingRows: Bool = false) throws(StoreError) -> (rows: [SQLRow], changes: Int) {
        guard parameters.count <= Self.maxParameterCount else {
            throw .programmingError("\(parameters.count) parameters exceed PostgreSQL's \(Self.maxParameterCount): \(SQLText.excerpt(sql))")
        }
        // The server would accept unused parameters (their types are given); SQLite would not,
        // and a parameter left over is a mistake either way.
        let used = SQLText.parameterNumbers(in: sql)
        guard used == Set(1..<parameters.count + 1) else {
            let expected = used.sorted().map { "$\($0)" }.joined(separator: ", ")
            throw .programmingError("the statement uses \(expected.isEmpty ? "no parameters" : expected) but \(parameters.count) parameter\(parameters.count == 1 ? " was" : "s were") given: \(SQLText.excerpt(sql))")
        }
        var types: [Oid] = []
        var lengths: [Int32] = []
        var offsets: [Int?] = []
        var bytes: [UInt8] = []
        for (index, parameter) in parameters.enumerated() {
            let encoded: [UInt8]?
            switch parameter {
            case .null:
                // Unknown type: the server infers it from where the parameter is used.
                types.append(0)
                encoded = nil
            case let .integer(integer):
                types.append(Self.int8)
                encoded = withUnsafeBytes(of: integer.bigEndian) { Array($0) }
            case let .text(text):
                guard !text.utf8.contains(0) else {
                    throw .programmingError("text parameter $\(index + 1) contains U+0000, which PostgreSQL cannot store; pass such data as a blob: \(SQLText.excerpt(sql))")
                }
                types.append(Self.text)
                encoded = Array(text.utf8)
            case let .blob(blob):
                types.append(Self.bytea)
                encoded = blob
            }
            offsets.append(encoded.map { _ in bytes.count })
            lengths.append(Int32(encoded?.count ?? 0))
            bytes += encoded ?? []
        }
        let formats = [Int32](repeating: 1, count: parameters.count)
        // Every non-NULL value needs a non-NULL pointer, an empty one included.
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        defer { storage.deallocate() }
        bytes.withUnsafeBytes { if let base = $0.baseAddress { storage.copyMemory(from: base, byteCount: $0.count) } }
        let values: [UnsafePointer<CChar>?] = offsets.map { offset in
            offset.map { UnsafePointer(storage.advanced(by: $0).assumingMemoryBound(to: CChar.self)) }
        }
        let result = PQexecParams(handle, sql, Int32(parameters.count), types, values, lengths, formats, 1)
        return try outcome(of: result, sql: sql, collectingRows: collectingRows)
    }

    /// Runs several `;`-separated statements without parameters.
    func runScript(_ sql: String) throws(StoreError) {
        _ = try outcome(of: PQexec(handle, sql), sql: sql, collectingRows: false)
    }

    // MARK: - Notifications

    /// The connection's socket, to wait on with poll() for notifications; -1 when not connected.
    var socketDescriptor: Int32 { PQsocket(handle) }

    /// Reads what the server has sent without waiting, and returns the notifications received
    /// so far (from this read or buffered during an earlier statement), oldest first. Throws
    /// `.unavailable` when the connection is lost.
    func receiveNotifications() throws(StoreError) -> [(channel: String, payload: String)] {
        guard PQconsumeInput(handle) == 1, isConnected else {
            throw .unavailable("the connection to PostgreSQL was lost: \(Self.lastError(handle))")
        }
        var notifications: [(channel: String, payload: String)] = []
        while let notification = PQnotifies(handle) {
            notifications.append((String(cString: notification.pointee.relname), String(cString: notification.pointee.extra)))
            PQfreemem(notification)
        }
        return notifications
    }

    /// Rolls back the open transaction, if any; errors are moot since the caller is already failing.
    func rollback() {
        guard isConnected, isInTransaction else { return }
        _ = try? runScript("ROLLBACK")
    }

    // MARK: - Results

    private static let maxParameterCount = 65_535
    // Type OIDs from pg_type.
    private static let bool: Oid = 16, bytea: Oid = 17, char: Oid = 18, name: Oid = 19, int8: Oid = 20,
                       int2: Oid = 21, int4: Oid = 23, text: Oid = 25, oid: Oid = 26, json: Oid = 114,
                       unknown: Oid = 705, bpchar: Oid = 1042, varchar: Oid = 1043

    private func outcome(of result: OpaquePointer?, sql: String, collectingRows: Bool) throws(StoreError) -> (rows: [SQLRow], changes: Int) {
        guard let result else {
            throw isConnected ? .unavailable("libpq returned no result: \(Self.lastError(handle))")
                              : .unavailable("the connection to PostgreSQL was lost: \(Self.lastError(handle))")
        }
        let owned = PostgresResult(result)
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK:
            return ([], changedRows(owned))
        case PGRES_TUPLES_OK:
            return (collectingRows ? try rows(of: owned, sql: sql) : [], changedRows(owned))
        case PGRES_EMPTY_QUERY:
            throw .programmingError("empty SQL statement: '\(SQLText.excerpt(sql))'")
        case PGRES_FATAL_ERROR, PGRES_NONFATAL_ERROR, PGRES_BAD_RESPONSE:
            throw failure(owned, sql: sql)
        default:
            throw .programmingError("COPY and replication are not supported through the store: \(SQLText.excerpt(sql))")
        }
    }

    private func changedRows(_ result: PostgresResult) -> Int {
        Int(String(cString: PQcmdTuples(result.handle))) ?? 0
    }

    private func rows(of result: PostgresResult, sql: String) throws(StoreError) -> [SQLRow] {
        let rowCount = Int(PQntuples(result.handle))
        guard rowCount <= maxRowsPerQuery else {
            throw .programmingError("a query returned more than \(maxRowsPerQuery) rows; add a LIMIT and page: \(SQLText.excerpt(sql))")
        }
        let columnCount = PQnfields(result.handle)
        let columns = SQLColumns(names: (0..<columnCount).map { String(cString: PQfname(result.handle, $0)) })
        let types = (0..<columnCount).map { PQftype(result.handle, $0) }
        for (column, type) in types.enumerated() where !Self.readableTypes.contains(type) {
            throw .programmingError("column '\(columns.names[column])' has PostgreSQL type \(type), which the store does not read; cast it to bigint, text or bytea: \(SQLText.excerpt(sql))")
        }
        var rows: [SQLRow] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<Int32(rowCount) {
            var values: [SQLValue] = []
            values.reserveCapacity(Int(columnCount))
            for column in 0..<columnCount {
                if PQgetisnull(result.handle, row, column) == 1 {
                    values.append(.null)
                    continue
                }
                let length = Int(PQgetlength(result.handle, row, column))
                let bytes = UnsafeRawBufferPointer(start: PQgetvalue(result.handle, row, column), count: length)
                values.append(Self.decode(bytes, type: types[Int(column)]))
            }
            rows.append(SQLRow(columns: columns, values: values))
        }
        return rows
    }

    private static let readableTypes: Set<Oid> = [bool, bytea, char, name, int8, int2, int4, text, oid, json, unknown, bpchar, varchar]

    /// One value in binary format (big-endian integers, raw bytes, UTF-8 text).
    private static func decode(_ bytes: UnsafeRawBufferPointer, type: Oid) -> SQLValue {
        func integer<Integer: FixedWidthInteger>(_: Integer.Type) -> Int64 {
            Int64(Integer(bigEndian: bytes.loadUnaligned(as: Integer.self)))
        }
        switch type {
        case int8: return .integer(integer(Int64.self))
        case int4: return .integer(integer(Int32.self))
        case int2: return .integer(integer(Int16.self))
        case oid: return .integer(integer(UInt32.self))
        case bool: return .integer(bytes.first == 0 ? 0 : 1)
        case bytea: return .blob(Array(bytes))
        default: return .text(String(decoding: bytes, as: UTF8.self))
        }
    }

    // MARK: - Errors

    /// The typed error for a failed statement, from its SQLSTATE. Messages use the primary text
    /// and never DETAIL, which repeats the offending values.
    private func failure(_ result: PostgresResult, sql: String) -> StoreError {
        let state = result.field(PG_DIAG_SQLSTATE) ?? ""
        let message = result.field(PG_DIAG_MESSAGE_PRIMARY) ?? Self.lastError(handle)
        let constraint = result.field(PG_DIAG_CONSTRAINT_NAME)
        if !isConnected {
            return .unavailable("the connection to PostgreSQL was lost (\(state)): \(message)")
        }
        switch state {
        case "23505":
            return .uniqueViolation(constraint: constraint ?? "unknown", message: message)
        case "23502":
            return .constraintViolation(kind: .notNull, constraint: constraint, message: message)
        case "23503":
            return .constraintViolation(kind: .foreignKey, constraint: constraint, message: message)
        case "23514":
            return .constraintViolation(kind: .check, constraint: constraint, message: message)
        case "23P01":
            return .constraintViolation(kind: .exclusion, constraint: constraint, message: message)
        case _ where state.hasPrefix("23"):
            return .constraintViolation(kind: .other, constraint: constraint, message: message)
        case "40001", "40P01", "55P03":
            return .conflict(attempts: 1, message: "PostgreSQL \(state): \(message)")
        case "08P01":
            // A protocol violation the server blames on the request, not a lost connection.
            return .programmingError("PostgreSQL \(state): \(message): \(SQLText.excerpt(sql))")
        case "57014":
            return .unavailable("PostgreSQL cancelled the statement (statement timeout or operator): \(SQLText.excerpt(sql))")
        case _ where ["08", "53", "57", "58", "XX"].contains(state.prefix(2)):
            return .unavailable("PostgreSQL \(state): \(message)")
        default:
            let hint = result.field(PG_DIAG_MESSAGE_HINT).map { " (\($0))" } ?? ""
            return .programmingError("PostgreSQL \(state): \(message)\(hint): \(SQLText.excerpt(sql))")
        }
    }

    /// Whether a `.conflict` message reports a lost serialization or deadlock race, which
    /// retrying the whole transaction resolves (not a lock a NOWAIT or lock_timeout gave up on).
    static func isRetryableConflict(_ message: String) -> Bool {
        message.hasPrefix("PostgreSQL 40001:") || message.hasPrefix("PostgreSQL 40P01:")
    }

    private static func lastError(_ connection: OpaquePointer) -> String {
        String(cString: PQerrorMessage(connection)).trimmingWhitespace()
    }
}

// Diagnostic field codes (postgres_ext.h); Swift does not import character-literal macros.
private let PG_DIAG_SQLSTATE = Int32(UInt8(ascii: "C"))
private let PG_DIAG_MESSAGE_PRIMARY = Int32(UInt8(ascii: "M"))
private let PG_DIAG_MESSAGE_HINT = Int32(UInt8(ascii: "H"))
private let PG_DIAG_CONSTRAINT_NAME = Int32(UInt8(ascii: "n"))

/// One query result (`PGresult*`), cleared when dropped.
private final class PostgresResult {
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }

    deinit { PQclear(handle) }

    /// A diagnostic field of an error result (`PG_DIAG_…`), when present.
    func field(_ code: Int32) -> String? {
        PQresultErrorField(handle, code).map { String(cString: $0) }
    }
}

/// Calls `body` with a C array of C strings that live for the call.
private func withCStringArray<Result>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> Result) -> Result {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return body(copies.map { UnsafePointer($0) } + [nil])
}
