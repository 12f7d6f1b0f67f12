import Glibc
import RPCCore

/// A loopback port whose listener never accepts: connections complete (the kernel's backlog)
/// but nothing is ever read or answered — a server that hangs.
final class BlackHole {
    let address: SocketAddress
    private let fd: Int32

    init() throws {
        let (fd, port) = try Socket.listen(on: SocketAddress(host: "127.0.0.1", port: 0), reusePort: false)
        self.fd = fd
        self.address = SocketAddress(host: "127.0.0.1", port: port)
    }

    deinit { close(fd) }
}

/// A loopback address nothing listens on (connections are refused).
func closedPort() throws -> SocketAddress {
    let (fd, port) = try Socket.listen(on: SocketAddress(host: "127.0.0.1", port: 0), reusePort: false)
    close(fd)
    return SocketAddress(host: "127.0.0.1", port: port)
}
