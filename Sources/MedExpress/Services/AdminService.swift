import Generated
import RPCCore
import Store
import Trust

/// `medexpress.v1.AdminService`: the order dashboard and order lists (AdminService+Orders), and
/// querying and verifying the audit log. Reading the log is itself audited.
public struct AdminService: Medexpress_V1_AdminServiceProvider {
    /// The largest page of audit entries.
    static let maxPageSize = 500
    static let defaultPageSize = 100
    /// The longest filter value accepted (ids, names and actions are far shorter).
    static let maxFilterCharacters = 200

    let journey: Journey
    var store: any StoreEngine { journey.store }
    var clock: @Sendable () -> Int64 { journey.clock }

    public init(journey: Journey) { self.journey = journey }

    public func queryAuditLog(_ request: Medexpress_V1_QueryAuditLogRequest, context: ServerContext) async throws
        -> Medexpress_V1_QueryAuditLogResponse {
        let caller = try context.requireCaller()
        let pageSize = try checkedPageSize(request.pageSize, maximum: Self.maxPageSize, default: Self.defaultPageSize)
        var before = Int64.max
        if !request.pageToken.isEmpty {
            guard let token = Int64(request.pageToken), token > 0 else {
                throw Status(.invalidArgument, "page_token: not a token this method gave")
            }
            before = token
        }
        var conditions = ["seq < $1"]
        var parameters: [SQLValue] = [.integer(before)]
        let filters = [("resource", request.resource), ("actor", request.actor), ("action", request.action)]
        for (column, value) in filters where value.count > Self.maxFilterCharacters {
            throw Status(.invalidArgument, "\(column): at most \(Self.maxFilterCharacters) characters")
        }
        for (column, value) in filters where !value.isEmpty {
            parameters.append(.text(value))
            conditions.append("\(column) = $\(parameters.count)")
        }
        parameters.append(.integer(Int64(pageSize + 1)))
        let sql = """
            SELECT seq, at_us, actor, role, certificate_thumbprint, method, resource, action, outcome, detail, hash
            FROM audit_log WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq DESC LIMIT $\(parameters.count)
            """
        let boundParameters = parameters
        let rows = try await store.read { tx in try tx.query(sql, boundParameters) }
        var response = Medexpress_V1_QueryAuditLogResponse()
        response.entries = try rows.prefix(pageSize).map(Self.auditEntry)
        if rows.count > pageSize, let last = response.entries.last { response.nextPageToken = String(last.sequence) }
        try await audit(caller, context: context, action: "audit_log.queried",
                        detail: "resource=\(request.resource) actor=\(request.actor) action=\(request.action)")
        return response
    }

    public func verifyAuditLog(_ request: Medexpress_V1_VerifyAuditLogRequest, context: ServerContext) async throws
        -> Medexpress_V1_VerifyAuditLogResponse {
        let caller = try context.requireCaller()
        var response = Medexpress_V1_VerifyAuditLogResponse()
        switch try await AuditLog.verify(store) {
        case .intact(let entries):
            response.intact = true
            response.entries = entries
        case .broken(let sequence, let reason):
            response.brokenSequence = sequence
            response.reason = reason
            response.entries = sequence - 1
        }
        try await audit(caller, context: context, action: "audit_log.verified",
                        detail: response.intact ? "intact" : "broken at \(response.brokenSequence)")
        return response
    }

    /// An audit log row as a message.
    static func auditEntry(_ row: SQLRow) throws -> Medexpress_V1_AuditEntry {
        var entry = Medexpress_V1_AuditEntry()
        entry.sequence = try row.int64("seq")
        entry.at = Timestamps.timestamp(microseconds: try row.int64("at_us"))
        entry.actor = try row.string("actor")
        entry.role = Medexpress_V1_Role(rawValue: Int32(truncatingIfNeeded: try row.int64("role")))
        entry.certificateThumbprint = try row.string("certificate_thumbprint")
        entry.method = try row.string("method")
        entry.resource = try row.string("resource")
        entry.action = try row.string("action")
        entry.outcome = try row.string("outcome")
        entry.detail = try row.string("detail")
        entry.hash = Hex.encode(try row.bytes("hash"))
        return entry
    }

    private func audit(_ caller: Caller, context: ServerContext, action: String, detail: String) async throws {
        let now = clock()
        let dialect = store.dialect
        try await store.write { tx in
            try AuditLog.append(AuditEntry(atMicroseconds: now, actor: caller.subjectID, role: caller.role.rawValue,
                                           certificateThumbprint: caller.certificateThumbprint ?? "", method: context.method.path,
                                           action: action, detail: detail), in: tx, dialect: dialect)
        }
    }
}
