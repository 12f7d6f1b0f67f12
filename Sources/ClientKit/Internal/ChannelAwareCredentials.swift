/// Call credentials that may make calls of their own over the channel they are configured on
/// (session credentials signing in): a `GRPCChannel` introduces itself to them when created.
protocol ChannelAwareCredentials: CallCredentials {
    /// `channel` was created with these credentials; it is held weakly (it holds them).
    func configured(on channel: GRPCChannel)
}
