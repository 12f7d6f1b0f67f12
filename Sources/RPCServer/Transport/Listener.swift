import CLinux
import Glibc
import RPCCore

/// A listening socket on one event loop and the connections it accepted there. With several
/// loops, each has its own listener on the same port (SO_REUSEPORT) and the kernel spreads
/// connections between them: no connection ever moves between threads. Sendable only so that
/// other threads can hand it work through `loop.execute`; its state is touched on its loop alone.
final class Listener: EventLoopSelectable, @unchecked Sendable {
    let loop: EventLoop
    let core: ServerCore
    private var fd: Int32
    private var connections: [ObjectIdentifier: ServerConnection] = [:]

    /// Connections accepted per readiness event before other work gets a turn.
    static let maxAcceptsPerEvent = 64

    init(loop: EventLoop, core: ServerCore, fd: Int32) throws(SystemError) {
        self.loop = loop
        self.core = core
        self.fd = fd
        try loop.register(fd, events: EPOLLIN.rawValue, handler: self)
    }

    var openConnections: Int { connections.count }

    func handleEvents(_ events: UInt32) {
        for _ in 0..<Self.maxAcceptsPerEvent {
            guard fd >= 0 else { return }
            let accepted: (fd: Int32, peer: String)?
            do {
                accepted = try Socket.accept(from: fd)
            } catch {
                core.log.warning("accept failed", ["error": "\(error)"])
                return
            }
            guard let (socket, peer) = accepted else { return }
            let limit = core.configuration.limits.maxConnections
            if core.connectionCount.add(1, ordering: .acquiringAndReleasing).newValue > limit {
                core.connectionCount.subtract(1, ordering: .acquiringAndReleasing)
                core.log.warning("connection refused: too many connections", ["peer": peer, "limit": String(limit)])
                Glibc.close(socket)
                continue
            }
            let connection = ServerConnection(loop: loop, server: core, listener: self, id: core.makeConnectionID())
            connections[ObjectIdentifier(connection)] = connection
            do {
                try connection.start(fd: socket, peerAddress: peer)
            } catch {
                core.log.warning("connection setup failed", ["peer": peer, "error": "\(error)"])
                connections[ObjectIdentifier(connection)] = nil
                Glibc.close(socket)
                core.connectionCount.subtract(1, ordering: .acquiringAndReleasing)
            }
        }
    }

    func remove(_ connection: ServerConnection) {
        connections[ObjectIdentifier(connection)] = nil
    }

    /// Stops accepting: closes the listening socket.
    func stopAccepting() {
        guard fd >= 0 else { return }
        loop.unregister(fd)
        Glibc.close(fd)
        fd = -1
    }

    /// Sends GOAWAY on every connection.
    func drainAll() {
        for connection in connections.values { connection.drain(debugMessage: "server shutting down") }
    }

    /// Closes every connection now.
    func forceCloseAll() {
        for connection in Array(connections.values) { connection.forceClose() }
    }
}
