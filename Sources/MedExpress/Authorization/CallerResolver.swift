import RPCCore

/// Turns the credentials a call carries into a caller: a bearer session token (customers and
/// staff; a staff token only on a connection with the certificate it was issued to) or the client
/// certificate of a service account.
public protocol CallerResolver: Sendable {
    /// The caller these credentials establish, nil when the call carries none. Throws
    /// UNAUTHENTICATED for credentials that are present but not valid (unknown, expired, revoked,
    /// or a staff token on another certificate's connection).
    func resolve(bearerToken: String?, peer: PeerInfo) async throws(Status) -> Caller?
}
