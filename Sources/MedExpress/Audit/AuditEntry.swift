/// One event in the audit log: who did what to which resource, and how it ended.
///
/// Entries hold identifiers, never health data: the log is read by inspectors and must not
/// become a second copy of the records it describes.
public struct AuditEntry: Sendable, Hashable {
    /// When it happened, Unix time in microseconds (UTC).
    public var atMicroseconds: Int64
    /// The subject who acted: "cus_…", "stf_…", a service account's name, "anonymous" or "system".
    public var actor: String
    /// The role the actor acted in (the `medexpress.v1.Role` number; 0 when none).
    public var role: Int32
    /// The SHA-256 thumbprint of the client certificate on the actor's connection, if any.
    public var certificateThumbprint: String
    /// The RPC method ("/medexpress.v1.AuthService/Login") or command ("medexpress staff add").
    public var method: String
    /// What was acted on ("cus_…", "stf_…", "rx_…"), or "" when nothing in particular.
    public var resource: String
    /// What happened, e.g. "login", "login.failed", "token.issued", "health_data.read".
    public var action: String
    /// "ok", or why it did not succeed.
    public var outcome: String
    /// Anything else an inspector needs (no health data).
    public var detail: String

    public init(atMicroseconds: Int64, actor: String, role: Int32 = 0, certificateThumbprint: String = "",
                method: String, resource: String = "", action: String, outcome: String = "ok", detail: String = "") {
        self.atMicroseconds = atMicroseconds
        self.actor = actor
        self.role = role
        self.certificateThumbprint = certificateThumbprint
        self.method = method
        self.resource = resource
        self.action = action
        self.outcome = outcome
        self.detail = detail
    }
}
