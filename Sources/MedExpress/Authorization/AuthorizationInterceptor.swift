import Generated
import RPCCore

/// Enforces each method's `(medexpress.v1.auth)` declaration before its handler runs: public
/// methods are open, others need a caller in one of the declared roles, and a `medexpress.` method
/// without a declaration is refused (API.md, Conventions). The standard services (health,
/// reflection, the interop test service) declare nothing and stay open by design: load balancers
/// and gRPC tooling call them without credentials.
public struct AuthorizationInterceptor: ServerInterceptor {
    private let resolver: any CallerResolver

    public init(resolver: any CallerResolver) {
        self.resolver = resolver
    }

    public func intercept(context: ServerContext, next: @Sendable () async throws -> Void) async throws {
        let method = context.method
        guard let rule = method.medexpress_v1_auth else {
            guard !method.service.hasPrefix("medexpress.") else {
                throw Status(.permissionDenied, "\(method.path) declares no access rule, so nobody may call it")
            }
            try await next()
            return
        }
        let token = try Self.bearerToken(in: context.requestMetadata)
        let caller = try await resolver.resolve(bearerToken: token, peer: context.peer)
        if let caller { context[CallerKey.self] = caller }
        guard !rule.public else {
            try await next()
            return
        }
        guard let caller else {
            throw Status(.unauthenticated, "\(method.path) needs a signed-in caller: send `authorization: Bearer <token>`")
        }
        guard rule.roles.contains(caller.role) else {
            throw Status(.permissionDenied, "\(method.path) is not open to the \(Self.name(of: caller.role)) role")
        }
        try await next()
    }

    /// The token of an `authorization: Bearer …` header; nil when there is none.
    static func bearerToken(in metadata: Metadata) throws(Status) -> String? {
        guard let value = metadata["authorization"] else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw Status(.unauthenticated, "the authorization header must be `Bearer <token>`")
        }
        return String(parts[1])
    }

    static func name(of role: Medexpress_V1_Role) -> String {
        switch role {
        case .customer: "CUSTOMER"
        case .admin: "ADMIN"
        case .prescriber: "PRESCRIBER"
        case .pharmacist: "PHARMACIST"
        case .pharmacySystem: "PHARMACY_SYSTEM"
        case .courier: "COURIER"
        default: "unspecified"
        }
    }
}
