import RPCCore

/// Turns a channel's target host name into the socket addresses to try, in order. Called on the
/// channel's loop, which it must not block; `completion` may run on any thread.
protocol AddressResolver: Sendable {
    func resolve(_ target: SocketAddress, completion: @escaping @Sendable (Result<[ResolvedAddress], SystemError>) -> Void)
}

/// The system's resolver: getaddrinfo on a thread of its own, through RPCCore.
struct SystemAddressResolver: AddressResolver {
    func resolve(_ target: SocketAddress, completion: @escaping @Sendable (Result<[ResolvedAddress], SystemError>) -> Void) {
        // RPCCore hands out only getaddrinfo's first answer today, so the list has one element;
        // once RPCCore offers every answer this forwards that list unchanged.
        ResolvedAddress.resolveInBackground(target) { result in completion(result.map { [$0] }) }
    }
}
