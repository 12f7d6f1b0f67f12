import RPCCore
import Store

/// Gives store failures that reach a handler's edge the status a client can act on, instead of
/// UNKNOWN: a full queue is RESOURCE_EXHAUSTED, a database down UNAVAILABLE (safe to retry), a
/// lost race (a conflict, or a unique key a concurrent request took first) ABORTED, anything else
/// INTERNAL. Handlers map the errors they expect (an email taken) themselves, before this.
public struct StoreErrorInterceptor: ServerInterceptor {
    public init() {}

    public func intercept(context: ServerContext, next: @Sendable () async throws -> Void) async throws {
        do {
            try await next()
        } catch let error as StoreError {
            switch error {
            case .overloaded(let message): throw Status(.resourceExhausted, "the database is busy: \(message)")
            case .unavailable(let message): throw Status(.unavailable, "the database is unavailable: \(message)")
            case .conflict, .uniqueViolation:
                throw Status(.aborted, "a concurrent request changed the same data; retry the request")
            default: throw Status(.internalError, "the request could not be stored")
            }
        }
    }
}
