/// A data key encrypted under the master key: what the database stores, never the key itself.
public struct WrappedDataKey: Sendable, Hashable {
    /// The key's id, which every field sealed under it names.
    public let id: UInt32
    /// Format version, nonce, AES-256-GCM ciphertext of the key and tag (see `KeyRing`).
    public let wrapped: [UInt8]

    /// A wrapped key as read back from storage.
    public init(id: UInt32, wrapped: [UInt8]) {
        self.id = id
        self.wrapped = wrapped
    }
}
