@testable import ClientKit
import RPCCore

/// A stand-in for DNS: every name resolves to the same literal addresses, in the given order,
/// with the target's port — a host name with several addresses, whatever the machine's resolver.
struct FixedAddressResolver: AddressResolver {
    let hosts: [String]

    func resolve(_ target: SocketAddress, completion: @escaping @Sendable (Result<[ResolvedAddress], SystemError>) -> Void) {
        completion(.success(hosts.compactMap { Socket.resolveNumeric(SocketAddress(host: $0, port: target.port)) }))
    }
}

extension GRPCChannel {
    /// A plaintext channel to `target` whose host name resolves to `addresses`.
    static func resolving(_ target: SocketAddress, to addresses: [String],
                          configuration: ChannelConfiguration = .init()) throws -> GRPCChannel {
        try GRPCChannel(target: target, tls: nil, configuration: configuration, eventLoopGroup: nil,
                        resolver: FixedAddressResolver(hosts: addresses))
    }
}
