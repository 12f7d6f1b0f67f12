import RPCCore
import Synchronization

/// Credentials that send `authorization: Bearer <token>`, asking a provider for the token when
/// they have none and again after the server answered UNAUTHENTICATED.
public final class BearerTokenCredentials: CallCredentials {
    /// Returns a current token; `forceRefresh` is true after the server rejected the last one.
    public typealias TokenProvider = @Sendable (_ forceRefresh: Bool) async throws -> String

    private let provider: TokenProvider
    private let token = Mutex<String?>(nil)

    /// Credentials whose tokens come from `provider`.
    public init(provider: @escaping TokenProvider) {
        self.provider = provider
    }

    public func metadata(for method: MethodDescriptor) async throws -> Metadata {
        let current: String
        if let cached = token.withLock({ $0 }) {
            current = cached
        } else {
            current = try await provider(false)
            token.withLock { $0 = current }
        }
        var metadata = Metadata()
        metadata.add("authorization", "Bearer \(current)")
        return metadata
    }

    public func refresh(rejected: Metadata) async throws {
        let fresh = try await provider(true)
        token.withLock { $0 = fresh }
    }
}
