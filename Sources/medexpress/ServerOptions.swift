import RPCCore
import RPCServer

/// The transport options shared by `serve` and `interop-server`.
struct ServerOptions {
    static let booleanFlags: Set<String> = []

    var limits = ServerLimits()
    var eventLoops = EventLoopGroup.defaultLoopCount
    var pinCPUs: [Int] = []
    var logLevel = Logger.Level.info
    var shutdownGrace: Duration = .seconds(10)

    init(_ arguments: inout Arguments) throws(UsageError) {
        eventLoops = try arguments.integer("event-loops", default: eventLoops, range: 1...256)
        if let text = arguments.string("pin-cpus") {
            pinCPUs = try text.split(separator: ",").map { part throws(UsageError) in
                guard let cpu = Int(part), cpu >= 0 else { throw UsageError("--pin-cpus takes CPU numbers like 0,1") }
                return cpu
            }
        }
        let level = arguments.string("log-level", default: "info")
        guard let parsed = Logger.Level(name: level) else {
            throw UsageError("--log-level must be one of debug, info, warning, error")
        }
        logLevel = parsed
        shutdownGrace = .seconds(try arguments.integer("shutdown-grace-seconds", default: 10, range: 0...3600))
        limits.handshakeTimeout = .milliseconds(try arguments.integer("handshake-timeout-ms", default: 10_000, range: 10...600_000))
        limits.idleTimeout = .milliseconds(try arguments.integer("idle-timeout-ms", default: 300_000, range: 10...86_400_000))
        limits.maxConnections = try arguments.integer("max-connections", default: limits.maxConnections, range: 1...1_000_000)
        let maxMessage = try arguments.integer("max-message-bytes", default: limits.maxReceiveMessageBytes, range: 1024...(64 * 1024 * 1024))
        limits.maxReceiveMessageBytes = maxMessage
        limits.maxSendMessageBytes = maxMessage
        limits.http2.maxConcurrentStreams = UInt32(try arguments.integer("max-concurrent-streams", default: 100, range: 1...10_000))
    }

    static let usage = """
          --event-loops N              event-loop threads (default: one per CPU)
          --pin-cpus LIST              pin the loops to these CPUs, e.g. 0 or 0,1
          --max-connections N          connections served at once (default 10000)
          --max-concurrent-streams N   calls per connection (default 100)
          --max-message-bytes N        largest message in either direction (default 4194304)
          --handshake-timeout-ms N     time to finish TLS and the HTTP/2 preface (default 10000)
          --idle-timeout-ms N          close connections idle this long (default 300000)
          --shutdown-grace-seconds N   time calls get to finish on SIGTERM/SIGINT (default 10)
          --log-level LEVEL            debug, info, warning or error (default info)
    """
}
