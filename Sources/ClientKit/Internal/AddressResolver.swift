import RPCCore

/// Turns a channel's target host name into the socket addresses to try, in order. Called on the
/// channel's loop, which it must not block; `completion` may run on any thread.
protocol AddressResolver: Sendable {
    func resolve(_ target: SocketAddress, completion: @escaping @Sendable (Result<[ResolvedAddress], SystemError>) -> Void)
}

/// The system's resolver: getaddrinfo on a thread of its own, through RPCCore.
struct SystemAddressResolver: AddressResolver {
    func resolve(_ target: SocketAddress, completion: @escaping @Sendable (Result<[ResolvedAddress], SystemError>) -> Void) {
        ResolvedAddress.resolveInBackground(target, completion: completion)
    }
}
