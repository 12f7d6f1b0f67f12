import Generated
import RPCCore
import Synchronization

/// `grpc.health.v1.Health` (https://github.com/grpc/grpc/blob/master/doc/health-checking.md): a
/// thread-safe registry of serving statuses by service name, "" standing for the whole server.
public final class HealthService: Grpc_Health_V1_HealthProvider {
    public typealias ServingStatus = Grpc_Health_V1_HealthCheckResponse.ServingStatus

    /// The most service names the registry holds; registering more is a programming error.
    public static let maxServices = 1_000
    /// The most Watch calls open at once; more are refused with RESOURCE_EXHAUSTED.
    public static let maxWatchers = 1_000

    private struct Watcher {
        let service: String
        let continuation: AsyncStream<ServingStatus>.Continuation
    }

    private struct State {
        var statuses: [String: ServingStatus]
        var watchers: [UInt64: Watcher] = [:]
        var nextWatcherID: UInt64 = 0
        var isShutDown = false
    }

    private let state: Mutex<State>

    /// A registry where the server as a whole ("") has `overallStatus`.
    public init(overallStatus: ServingStatus = .serving) {
        state = Mutex(State(statuses: ["": overallStatus]))
    }

    /// Sets a service's status and tells its watchers. Ignored after `enterShutdown()`.
    public func setStatus(_ status: ServingStatus, forService service: String) {
        state.withLock { state in
            guard !state.isShutDown else { return }
            precondition(state.statuses[service] != nil || state.statuses.count < Self.maxServices,
                         "more than \(Self.maxServices) services in the health registry")
            state.statuses[service] = status
            for watcher in state.watchers.values where watcher.service == service {
                watcher.continuation.yield(status)
            }
        }
    }

    /// Forgets a service: Check answers NOT_FOUND and watchers see SERVICE_UNKNOWN.
    public func clearStatus(forService service: String) {
        state.withLock { state in
            guard !state.isShutDown, state.statuses.removeValue(forKey: service) != nil else { return }
            for watcher in state.watchers.values where watcher.service == service {
                watcher.continuation.yield(.serviceUnknown)
            }
        }
    }

    /// A service's status, nil when unknown.
    public func status(ofService service: String) -> ServingStatus? {
        state.withLock { $0.statuses[service] }
    }

    /// Every known service with its status.
    public var allStatuses: [String: ServingStatus] {
        state.withLock { $0.statuses }
    }

    /// The number of Watch calls open.
    public var watcherCount: Int {
        state.withLock { $0.watchers.count }
    }

    /// The server is stopping: every service becomes NOT_SERVING, watchers are told and their calls
    /// end, and later status changes are ignored.
    public func enterShutdown() {
        let watchers = state.withLock { state -> [Watcher] in
            guard !state.isShutDown else { return [] }
            state.isShutDown = true
            for service in state.statuses.keys { state.statuses[service] = .notServing }
            for watcher in state.watchers.values {
                watcher.continuation.yield(state.statuses[watcher.service] ?? .serviceUnknown)
            }
            return Array(state.watchers.values)
        }
        // Outside the lock: finishing runs the stream's termination handler, which takes the lock.
        for watcher in watchers { watcher.continuation.finish() }
    }

    // MARK: Grpc_Health_V1_HealthProvider

    public func check(_ request: Grpc_Health_V1_HealthCheckRequest, context: ServerContext) async throws
        -> Grpc_Health_V1_HealthCheckResponse {
        guard let status = status(ofService: request.service) else {
            throw Status(.notFound, "unknown service \"\(request.service)\"")
        }
        return .with { $0.status = status }
    }

    public func list(_ request: Grpc_Health_V1_HealthListRequest, context: ServerContext) async throws
        -> Grpc_Health_V1_HealthListResponse {
        let statuses = allStatuses
        return .with { response in
            for (service, status) in statuses { response.statuses[service] = .with { $0.status = status } }
        }
    }

    /// Sends the current status, then each change, until the server shuts down or the client leaves.
    /// Only the latest change is buffered: a slow client sees the newest status, not every step.
    public func watch(_ request: Grpc_Health_V1_HealthCheckRequest, responses: ResponseWriter<Grpc_Health_V1_HealthCheckResponse>,
                      context: ServerContext) async throws {
        let (updates, continuation) = AsyncStream.makeStream(of: ServingStatus.self, bufferingPolicy: .bufferingNewest(1))
        // The termination handler is in place before registering, so no way out leaves a watcher behind.
        let id = state.withLock { state in
            state.nextWatcherID += 1
            return state.nextWatcherID
        }
        continuation.onTermination = { [weak self] _ in self?.unregister(id) }
        defer { continuation.finish() }
        if try !register(id, service: request.service, continuation: continuation) {
            continuation.finish()
        }
        var lastSent: ServingStatus?
        for await status in updates where status != lastSent {
            try await responses.write(.with { $0.status = status })
            lastSent = status
        }
    }

    /// Gives a watcher the current status and adds it; false (not added) once the server is shutting down.
    private func register(_ id: UInt64, service: String, continuation: AsyncStream<ServingStatus>.Continuation) throws -> Bool {
        try state.withLock { state in
            continuation.yield(state.statuses[service] ?? .serviceUnknown)
            guard !state.isShutDown else { return false }
            guard state.watchers.count < Self.maxWatchers else {
                throw Status(.resourceExhausted, "too many health watchers (limit \(Self.maxWatchers))")
            }
            state.watchers[id] = Watcher(service: service, continuation: continuation)
            return true
        }
    }

    private func unregister(_ id: UInt64) {
        _ = state.withLock { $0.watchers.removeValue(forKey: id) }
    }
}
