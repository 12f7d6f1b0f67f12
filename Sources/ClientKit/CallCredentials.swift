import RPCCore

/// Per-call credentials: metadata added to every call the channel makes (e.g. `authorization`).
///
/// When a unary call that carried credentials fails with UNAUTHENTICATED the channel calls
/// `refresh(rejected:)` once and tries the call once more with fresh metadata (the request is
/// kept for that). A call to which the credentials added nothing is not tried again.
public protocol CallCredentials: Sendable {
    /// The metadata to add to a call of `method`. A thrown `Status` fails the call with that
    /// status, any other error with UNAVAILABLE.
    func metadata(for method: MethodDescriptor) async throws -> Metadata
    /// Obtains new credentials after the server rejected `rejected`, the metadata `metadata(for:)`
    /// gave the call; credentials renewed since then (by a concurrent call) need not renew again.
    func refresh(rejected: Metadata) async throws
}
