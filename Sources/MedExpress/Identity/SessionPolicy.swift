/// How long sign-in tokens live. Staff tokens are short-lived (issue 3: 15 minutes, refreshable)
/// and bound to a certificate; customer tokens last longer because a phone stays signed in.
public struct SessionPolicy: Sendable, Hashable {
    public var customerAccessSeconds: Int64 = 60 * 60
    public var customerRefreshSeconds: Int64 = 30 * 24 * 60 * 60
    public var staffAccessSeconds: Int64 = 15 * 60
    /// A shift: a staff member signs in again (with a TOTP code) at least this often.
    public var staffRefreshSeconds: Int64 = 12 * 60 * 60

    public init() {}
}
