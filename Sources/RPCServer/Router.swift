import RPCCore

/// Maps a request's `:path` to the method that serves it.
struct Router: Sendable {
    /// What a path resolves to.
    enum Route {
        case found(ServerMethod)
        case unknownService(String)
        case unknownMethod(service: String, method: String)
    }

    private let methods: [String: ServerMethod]
    /// The fully qualified names of the services served.
    let serviceNames: Set<String>

    init(services: [any RPCService]) {
        var methods: [String: ServerMethod] = [:]
        var names = Set<String>()
        for service in services {
            for method in service.methods {
                precondition(methods[method.descriptor.path] == nil, "two handlers for \(method.descriptor.path)")
                methods[method.descriptor.path] = method
                names.insert(method.descriptor.service)
            }
        }
        self.methods = methods
        self.serviceNames = names
    }

    func route(_ path: String) -> Route {
        if let method = methods[path] { return .found(method) }
        // "/package.Service/Method"
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].isEmpty else { return .unknownService(path) }
        let service = String(parts[1])
        guard serviceNames.contains(service) else { return .unknownService(service) }
        return .unknownMethod(service: service, method: String(parts[2]))
    }
}
