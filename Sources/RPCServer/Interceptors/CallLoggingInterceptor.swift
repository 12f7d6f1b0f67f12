import RPCCore

/// Logs one structured line per call: method, status, duration, request id and peer.
public struct CallLoggingInterceptor: ServerInterceptor {
    private let log: Logger

    public init(log: Logger) {
        self.log = log
    }

    public func intercept(context: ServerContext, next: @Sendable () async throws -> Void) async throws {
        guard log.isEnabled(.info) else {
            try await next()
            return
        }
        let start = ContinuousClock.now
        var code = Status.Code.ok
        defer {
            let elapsed = ContinuousClock.now - start
            let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
            log.info("call", ["method": context.method.path, "status": "\(code)", "duration_us": String(micros),
                              "request_id": context.requestID, "peer": context.peer.address])
        }
        do {
            try await next()
        } catch let status as Status {
            code = status.code
            throw status
        } catch is CancellationError {
            code = .cancelled
            throw CancellationError()
        } catch {
            code = .unknown
            throw error
        }
    }
}
