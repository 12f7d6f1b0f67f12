import RPCCore

/// Per-call credentials: metadata added to every call the channel makes (e.g. `authorization`).
///
/// When a unary call fails with UNAUTHENTICATED the channel calls `refresh()` once and tries
/// the call once more with fresh metadata (the request is kept for that).
public protocol CallCredentials: Sendable {
    /// The metadata to add to a call of `method`. A thrown error fails the call with UNAVAILABLE.
    func metadata(for method: MethodDescriptor) async throws -> Metadata
    /// Obtains new credentials after the server rejected the current ones.
    func refresh() async throws
}
