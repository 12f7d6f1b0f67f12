import Store

/// The database's history: every migration the server has ever shipped, in order. Released
/// entries never change (the migrator refuses a renamed one); changes come as new entries.
public enum Schema {
    /// The columns holding sealed personal or health data, re-sealed by `medexpress keys rotate`.
    /// None yet: the first arrive with the customer and staff records.
    public static let encryptedColumns: [EncryptedColumn] = []

    public static let migrations: [Migration] = [
        Migration(version: 1, name: "data keys and audit log", sql: """
            CREATE TABLE data_keys (
                id INTEGER PRIMARY KEY,
                wrapped BLOB NOT NULL,
                created_at_us INTEGER NOT NULL,
                active INTEGER NOT NULL CHECK (active IN (0, 1))
            );
            CREATE UNIQUE INDEX data_keys_one_active ON data_keys (active) WHERE active = 1;
            CREATE TABLE audit_head (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                last_seq INTEGER NOT NULL,
                last_hash BLOB NOT NULL
            );
            INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, zeroblob(32));
            CREATE TABLE audit_log (
                seq INTEGER PRIMARY KEY,
                at_us INTEGER NOT NULL,
                actor TEXT NOT NULL,
                role INTEGER NOT NULL,
                certificate_thumbprint TEXT NOT NULL,
                method TEXT NOT NULL,
                resource TEXT NOT NULL,
                action TEXT NOT NULL,
                outcome TEXT NOT NULL,
                detail TEXT NOT NULL,
                previous_hash BLOB NOT NULL,
                hash BLOB NOT NULL
            );
            CREATE INDEX audit_log_resource ON audit_log (resource, seq);
            CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
            CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END
            """, postgres: """
            CREATE TABLE data_keys (
                id BIGINT PRIMARY KEY,
                wrapped BYTEA NOT NULL,
                created_at_us BIGINT NOT NULL,
                active INTEGER NOT NULL CHECK (active IN (0, 1))
            );
            CREATE UNIQUE INDEX data_keys_one_active ON data_keys (active) WHERE active = 1;
            CREATE TABLE audit_head (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                last_seq BIGINT NOT NULL,
                last_hash BYTEA NOT NULL
            );
            INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));
            CREATE TABLE audit_log (
                seq BIGINT PRIMARY KEY,
                at_us BIGINT NOT NULL,
                actor TEXT NOT NULL,
                role INTEGER NOT NULL,
                certificate_thumbprint TEXT NOT NULL,
                method TEXT NOT NULL,
                resource TEXT NOT NULL,
                action TEXT NOT NULL,
                outcome TEXT NOT NULL,
                detail TEXT NOT NULL,
                previous_hash BYTEA NOT NULL,
                hash BYTEA NOT NULL
            );
            CREATE INDEX audit_log_resource ON audit_log (resource, seq);
            CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
            CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
                FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
            """),
    ]
}
