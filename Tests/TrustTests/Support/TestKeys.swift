import Foundation
import Trust

/// A fresh random master key, as `MEDEXPRESS_MASTER_KEY` would carry it.
func randomMasterKey() throws -> MasterKey {
    try MasterKey(base64: Data(SecureRandom.bytes(MasterKey.byteCount)).base64EncodedString())
}

/// A key ring holding one new data key per id, the last one active, with the wrapped keys a store would hold.
func makeKeyRing(master: MasterKey, ids: [UInt32]) throws -> (ring: KeyRing, wrapped: [WrappedDataKey]) {
    let wrapped = ids.map { KeyRing.newDataKey(master: master, id: $0) }
    return (try KeyRing(master: master, wrappedKeys: wrapped, activeKeyID: ids[ids.count - 1]), wrapped)
}
