import RPCCore
import RPCServer

/// `medexpress interop-server`: grpc.testing.TestService as the gRPC interop specification
/// describes it, for conformance tests and benchmarks.
struct InteropServerCommand {
    let address: SocketAddress
    let tls: TLSConfiguration?
    let options: ServerOptions

    init(_ rawArguments: ArraySlice<String>) throws(UsageError) {
        var arguments = try Arguments(rawArguments, booleanFlags: ["use_tls"])
        let port = try arguments.integer("port", default: 10000, range: 0...65535)
        address = SocketAddress(host: arguments.string("host", default: "127.0.0.1"), port: port)
        if arguments.flag("use_tls") {
            guard let certificate = arguments.string("cert"), let key = arguments.string("key") else {
                throw UsageError("--use_tls needs --cert FILE and --key FILE")
            }
            tls = .server(certificateChainFile: certificate, privateKeyFile: key, trustRootsFile: nil, clientCertificateMode: .none)
        } else {
            tls = nil
        }
        options = try ServerOptions(&arguments)
        try arguments.rejectUnknown()
    }

    func run() async throws {
        var configuration = ServerConfiguration(address: address, tls: tls, eventLoopCount: options.eventLoops)
        configuration.pinToCPUs = options.pinCPUs
        configuration.limits = options.limits
        let server = try Server(configuration: configuration, services: [InteropTestService()],
                                log: Logger(component: "interop-server", minimumLevel: options.logLevel))
        try await server.start()
        printLine("interop-server listening on \(SocketAddress(host: address.host, port: server.port)) (\(tls == nil ? "h2c" : "tls"))")
        _ = await Signals.waitForTermination()
        await server.shutdown(grace: options.shutdownGrace)
    }
}
