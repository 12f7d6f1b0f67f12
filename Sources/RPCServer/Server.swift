import Glibc
import RPCCore
import Synchronization

/// How a server listens and what it enforces.
public struct ServerConfiguration: Sendable {
    /// Where to listen.
    public var address: SocketAddress
    /// TLS settings; nil serves HTTP/2 in cleartext (h2c), which the command line allows on loopback only.
    public var tls: TLSConfiguration?
    /// Event loops (threads) serving connections; one per core by default.
    public var eventLoopCount: Int
    /// CPUs to pin the loops to, in order (empty: no pinning). Used by the benchmarks.
    public var pinToCPUs: [Int] = []
    /// The limits every connection and call is held to.
    public var limits = ServerLimits()

    public init(address: SocketAddress, tls: TLSConfiguration?, eventLoopCount: Int = EventLoopGroup.defaultLoopCount) {
        self.address = address
        self.tls = tls
        self.eventLoopCount = eventLoopCount
    }
}

/// A gRPC server: event loops, listeners, routes, interceptors.
public final class Server: Sendable {
    private let core: ServerCore
    private let group: EventLoopGroup
    private let listeners = Mutex<[Listener]>([])
    private let boundPort = Atomic<Int>(0)

    /// Builds a server for `services`, running `interceptors` in order before every handler.
    public init(configuration: ServerConfiguration, services: [any RPCService],
                interceptors: [any ServerInterceptor] = [], log: Logger = Logger(component: "server")) throws {
        let tlsContext = try configuration.tls.map { tls throws in try TLSContext(configuration: tls, isServer: true) }
        core = ServerCore(configuration: configuration, router: Router(services: services), interceptors: interceptors,
                          log: log, tlsContext: tlsContext)
        group = EventLoopGroup(count: configuration.eventLoopCount, pinToCPUs: configuration.pinToCPUs)
    }

    /// The fully qualified names of the services this server routes to.
    public var serviceNames: Set<String> { core.router.serviceNames }

    /// The port the server listens on (the kernel's choice when configured with port 0).
    public var port: Int { boundPort.load(ordering: .acquiring) }

    /// Opens one listening socket per event loop and starts accepting.
    public func start() async throws {
        let address = core.configuration.address
        // SO_REUSEPORT would let another process of the same user join this port and silently
        // take a share of its connections (a second server started by mistake, say). The port is
        // therefore claimed exclusively first, which fails while anyone listens there, and only
        // then opened once per loop.
        let claim = try Socket.listen(on: address, reusePort: false)
        Glibc.close(claim.fd)
        let bound = SocketAddress(host: address.host, port: claim.port)
        var sockets: [Int32] = []
        do {
            for _ in group.loops {
                sockets.append(try Socket.listen(on: bound, reusePort: true).fd)
            }
        } catch {
            for fd in sockets { Glibc.close(fd) }
            throw error
        }
        boundPort.store(claim.port, ordering: .releasing)
        for (loop, fd) in zip(group.loops, sockets) {
            let listener: Listener = try await withCheckedThrowingContinuation { continuation in
                loop.execute { [core] in
                    continuation.resume(with: Result { try Listener(loop: loop, core: core, fd: fd) })
                }
            }
            listeners.withLock { $0.append(listener) }
        }
        core.log.info("listening", ["address": bound.description, "tls": core.tlsContext == nil ? "off" : "on",
                                    "event_loops": String(group.loops.count)])
    }

    /// Stops gracefully: no new connections, GOAWAY on every connection, calls in progress get
    /// `grace` to finish, then whatever remains is cancelled and the loops stop.
    public func shutdown(grace: Duration) async {
        let listeners = self.listeners.withLock { $0 }
        // Awaited, so no listening socket outlives its loop.
        for listener in listeners {
            await withCheckedContinuation { continuation in
                listener.loop.execute {
                    listener.stopAccepting()
                    listener.drainAll()
                    continuation.resume()
                }
            }
        }
        let core = self.core
        let drained = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await core.waitForAllConnectionsClosed()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: grace)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !drained {
            core.log.warning("grace period over: cancelling calls still in progress")
            for listener in listeners {
                await withCheckedContinuation { continuation in
                    listener.loop.execute {
                        listener.forceCloseAll()
                        continuation.resume()
                    }
                }
            }
            await core.waitForAllConnectionsClosed()
        }
        group.shutdown()
        core.log.info("stopped")
    }
}

extension EventLoopGroup {
    /// One loop per online CPU.
    public static var defaultLoopCount: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
