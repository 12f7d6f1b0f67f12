import RPCCore

/// A client call that hands out each response message together with whether it arrived
/// compressed (the gRPC message flag), for callers that must check it (interop tests, proxies).
/// Every call a `GRPCChannel` makes conforms.
public protocol ResponseMessageReceiving: ClientCallStream {
    /// The next response message with its compressed flag, or nil after the last one.
    func receiveMessage() async throws -> ReceivedMessage?
}
