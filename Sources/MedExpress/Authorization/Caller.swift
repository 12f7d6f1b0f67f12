import Generated
import RPCCore

/// Who is calling, as the authorization interceptor established it before the handler ran.
public struct Caller: Sendable, Hashable {
    /// The role the caller acts in.
    public let role: Medexpress_V1_Role
    /// "cus_…", "stf_…" or the service account's name.
    public let subjectID: String
    /// The session whose token the call carried; nil for service accounts (their certificate is
    /// their credential).
    public let sessionID: String?
    /// The SHA-256 thumbprint of the client certificate on the call's connection, if any.
    public let certificateThumbprint: String?

    public init(role: Medexpress_V1_Role, subjectID: String, sessionID: String?, certificateThumbprint: String?) {
        self.role = role
        self.subjectID = subjectID
        self.sessionID = sessionID
        self.certificateThumbprint = certificateThumbprint
    }

    /// Whether the caller is a member of staff (signed in with certificate, password and TOTP).
    public var isStaff: Bool { [.admin, .prescriber, .pharmacist].contains(role) }
}

/// The `ServerContext` key the authorization interceptor stores the caller under.
public enum CallerKey: ServerContextKey {
    public typealias Value = Caller
}

extension ServerContext {
    /// The caller the authorization interceptor established; nil on a public method called
    /// without credentials.
    public var caller: Caller? { self[CallerKey.self] }

    /// The caller, or UNAUTHENTICATED: for handlers of methods that are not public.
    public func requireCaller() throws(Status) -> Caller {
        guard let caller else { throw Status(.unauthenticated, "this call needs a signed-in caller") }
        return caller
    }
}
