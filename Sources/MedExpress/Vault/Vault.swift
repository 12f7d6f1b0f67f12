import Store
import Trust

/// The keys protecting personal and health data at rest: the master key, kept outside the
/// database (DIR/keys/master.key or MEDEXPRESS_MASTER_KEY), and the data keys it wraps, kept in
/// the `data_keys` table. Fields are sealed with the active data key; older keys keep opening
/// what they sealed until `rotate` has re-encrypted it.
public struct Vault: Sendable {
    /// Seals and opens fields (AES-256-GCM, bound to table, column and row).
    public let cipher: FieldCipher
    /// Keyed hashes for equality lookups on sealed values (emails).
    public let blindIndex: BlindIndex

    init(master: MasterKey, keys: [WrappedDataKey], activeKeyID: UInt32) throws {
        cipher = FieldCipher(keyRing: try KeyRing(master: master, wrappedKeys: keys, activeKeyID: activeKeyID))
        blindIndex = BlindIndex(master: master)
    }

    /// The vault of `store`, creating data key 1 on a database that has none yet.
    public static func open(master: MasterKey, store: any StoreEngine, clock: @Sendable () -> Int64 = WallClock.nowMicroseconds) async throws -> Vault {
        if let vault = try await load(master: master, store: store) { return vault }
        let first = KeyRing.newDataKey(master: master, id: 1)
        let now = clock()
        do {
            try await store.write { tx in
                try tx.execute("INSERT INTO data_keys (id, wrapped, created_at_us, active) VALUES ($1, $2, $3, 1)",
                               [.integer(Int64(first.id)), .blob(first.wrapped), .integer(now)])
                try AuditLog.append(AuditEntry(atMicroseconds: now, actor: "system", method: "vault.open",
                                               resource: "data_key:1", action: "data_key.created"), in: tx, dialect: store.dialect)
            }
        } catch StoreError.uniqueViolation {
            // Another instance created it first: use theirs.
        }
        guard let vault = try await load(master: master, store: store) else {
            throw StoreError.schema("data_keys is still empty after creating the first data key")
        }
        return vault
    }

    /// Introduces a new data key and makes it active, then re-seals every value in `columns`
    /// under it, in batches; returns the new key's id. Old keys stay in the table (values written
    /// by instances that have not reloaded yet may still use them).
    public static func rotate(master: MasterKey, store: any StoreEngine, columns: [EncryptedColumn],
                              actor: String = "system", clock: @Sendable () -> Int64 = WallClock.nowMicroseconds) async throws -> UInt32 {
        let now = clock()
        let newID: UInt32 = try await store.write { tx in
            let last = try tx.query("SELECT COALESCE(MAX(id), 0) AS last FROM data_keys").first?.int64("last") ?? 0
            let id = UInt32(last + 1)
            let key = KeyRing.newDataKey(master: master, id: id)
            try tx.execute("UPDATE data_keys SET active = 0 WHERE active = 1")
            try tx.execute("INSERT INTO data_keys (id, wrapped, created_at_us, active) VALUES ($1, $2, $3, 1)",
                           [.integer(Int64(id)), .blob(key.wrapped), .integer(now)])
            try AuditLog.append(AuditEntry(atMicroseconds: now, actor: actor, method: "medexpress keys rotate",
                                           resource: "data_key:\(id)", action: "data_key.rotated"), in: tx, dialect: store.dialect)
            return id
        }
        guard let vault = try await load(master: master, store: store) else {
            throw StoreError.schema("data_keys is empty after a rotation")
        }
        for column in columns { try await vault.reseal(column, in: store) }
        return newID
    }

    /// Values sealed in one batch of a re-encryption.
    static let resealBatchSize = 500

    /// Re-seals under the active key every value of `column` sealed under an older one.
    func reseal(_ column: EncryptedColumn, in store: any StoreEngine) async throws {
        var after = ""
        while true {
            let from = after
            let rows = try await store.read { tx in
                try tx.query("SELECT \(column.keyColumn) AS row_key, \(column.column) AS sealed FROM \(column.table) WHERE \(column.keyColumn) > $1 ORDER BY \(column.keyColumn) LIMIT $2",
                             [.text(from), .integer(Int64(Self.resealBatchSize))])
            }
            guard let last = rows.last else { return }
            after = try last.string("row_key")
            var updates: [(key: String, old: [UInt8], new: [UInt8])] = []
            for row in rows {
                guard let sealed = try row.optionalBytes("sealed"), cipher.needsReencryption(sealed) else { continue }
                let key = try row.string("row_key")
                let context = FieldContext(table: column.table, column: column.column, row: key)
                updates.append((key, sealed, cipher.seal(try cipher.open(sealed, context: context), context: context)))
            }
            guard !updates.isEmpty else { continue }
            let batch = updates
            try await store.write { tx in
                for update in batch {
                    // Only if unchanged since it was read: a concurrent write already sealed anew.
                    try tx.execute("UPDATE \(column.table) SET \(column.column) = $1 WHERE \(column.keyColumn) = $2 AND \(column.column) = $3",
                                   [.blob(update.new), .text(update.key), .blob(update.old)])
                }
            }
        }
    }

    private static func load(master: MasterKey, store: any StoreEngine) async throws -> Vault? {
        let rows = try await store.read { tx in try tx.query("SELECT id, wrapped, active FROM data_keys ORDER BY id") }
        guard !rows.isEmpty else { return nil }
        var keys: [WrappedDataKey] = []
        var active: UInt32?
        for row in rows {
            let id = UInt32(try row.int64("id"))
            keys.append(WrappedDataKey(id: id, wrapped: try row.bytes("wrapped")))
            if try row.int64("active") == 1 { active = id }
        }
        guard let active else { throw StoreError.schema("data_keys has keys but none is active") }
        return try Vault(master: master, keys: keys, activeKeyID: active)
    }
}

/// A column holding sealed values, keyed by a text primary key, for re-encryption on rotation.
/// The names are the program's own (they are spliced into SQL), never input.
public struct EncryptedColumn: Sendable, Hashable {
    public let table: String
    public let keyColumn: String
    public let column: String

    public init(table: String, keyColumn: String, column: String) {
        for name in [table, keyColumn, column] {
            precondition(!name.isEmpty && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F || ($0 >= 0x30 && $0 <= 0x39) },
                         "\(name) is not a plain lower-case SQL identifier")
        }
        self.table = table
        self.keyColumn = keyColumn
        self.column = column
    }
}
