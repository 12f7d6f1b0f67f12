import Store

/// The database's history: every migration the server has ever shipped, in order. Released
/// entries never change (the migrator refuses a renamed one); changes come as new entries.
public enum Schema {
    /// The columns holding sealed personal or health data, re-sealed by `medexpress keys rotate`.
    public static let encryptedColumns: [EncryptedColumn] =
        ["email", "given_name", "family_name", "date_of_birth", "phone", "address"]
            .map { EncryptedColumn(table: "customers", keyColumn: "id", column: $0) }
        + ["totp_secret", "pending_totp_secret", "given_name", "family_name", "email", "address"]
            .map { EncryptedColumn(table: "staff", keyColumn: "id", column: $0) }
        + ["method", "notes"].map { EncryptedColumn(table: "customer_identity_checks", keyColumn: "id", column: $0) }
        + [EncryptedColumn(table: "consultations", keyColumn: "id", column: "assessment"),
           EncryptedColumn(table: "consultation_answers", keyColumn: "id", column: "answer"),
           EncryptedColumn(table: "orders", keyColumn: "id", column: "delivery_address"),
           EncryptedColumn(table: "outbox", keyColumn: "id", column: "payload"),
           EncryptedColumn(table: "order_messages", keyColumn: "id", column: "text"),
           EncryptedColumn(table: "verifications", keyColumn: "id", column: "details"),
           EncryptedColumn(table: "staff", keyColumn: "id", column: "signing_key"),
           EncryptedColumn(table: "prescriptions", keyColumn: "id", column: "particulars"),
           EncryptedColumn(table: "pom_register", keyColumn: "id", column: "entry"),
           EncryptedColumn(table: "shipments", keyColumn: "id", column: "label"),
           EncryptedColumn(table: "tracking_events", keyColumn: "id", column: "details"),
           EncryptedColumn(table: "feedback", keyColumn: "order_id", column: "comment"),
           EncryptedColumn(table: "tickets", keyColumn: "id", column: "subject"),
           EncryptedColumn(table: "ticket_messages", keyColumn: "id", column: "text"),
           EncryptedColumn(table: "complaints", keyColumn: "id", column: "description"),
           EncryptedColumn(table: "complaints", keyColumn: "id", column: "evidence_request"),
           EncryptedColumn(table: "complaints", keyColumn: "id", column: "resolution_note"),
           EncryptedColumn(table: "complaint_evidence", keyColumn: "id", column: "content")]

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
        Migration.portable(version: 2, name: "customers, sessions, sign-in throttles, idempotency keys", sql: """
            CREATE TABLE customers (
                id TEXT PRIMARY KEY,
                email_index BLOB NOT NULL,
                email BLOB NOT NULL,
                password_hash TEXT NOT NULL,
                given_name BLOB NOT NULL,
                family_name BLOB NOT NULL,
                date_of_birth BLOB NOT NULL,
                phone BLOB NOT NULL,
                address BLOB NOT NULL,
                identity_status INTEGER NOT NULL DEFAULT 0,
                created_at_us INTEGER NOT NULL
            );
            CREATE UNIQUE INDEX customers_email_index ON customers (email_index);
            CREATE TABLE sessions (
                id TEXT PRIMARY KEY,
                subject_id TEXT NOT NULL,
                role INTEGER NOT NULL,
                access_hash BLOB NOT NULL,
                refresh_hash BLOB NOT NULL,
                certificate_thumbprint TEXT NOT NULL,
                access_expires_at_us INTEGER NOT NULL,
                refresh_expires_at_us INTEGER NOT NULL,
                revoked_at_us INTEGER,
                created_at_us INTEGER NOT NULL
            );
            CREATE UNIQUE INDEX sessions_access_hash ON sessions (access_hash);
            CREATE UNIQUE INDEX sessions_refresh_hash ON sessions (refresh_hash);
            CREATE INDEX sessions_subject ON sessions (subject_id);
            CREATE TABLE login_throttles (
                key TEXT PRIMARY KEY,
                failures INTEGER NOT NULL,
                locked_until_us INTEGER NOT NULL,
                updated_at_us INTEGER NOT NULL
            );
            CREATE TABLE idempotency_keys (
                scope TEXT NOT NULL,
                request_id TEXT NOT NULL,
                request_fingerprint BLOB NOT NULL,
                response BLOB NOT NULL,
                created_at_us INTEGER NOT NULL,
                PRIMARY KEY (scope, request_id)
            )
            """),
        Migration.portable(version: 3, name: "staff and their client certificates", sql: """
            CREATE TABLE staff (
                id TEXT PRIMARY KEY,
                username TEXT NOT NULL,
                role INTEGER NOT NULL CHECK (role IN (2, 3, 4)),
                password_hash TEXT NOT NULL,
                totp_secret BLOB NOT NULL,
                totp_last_step INTEGER NOT NULL DEFAULT -1,
                given_name BLOB NOT NULL,
                family_name BLOB NOT NULL,
                email BLOB NOT NULL,
                registration_body INTEGER NOT NULL DEFAULT 0,
                registration_number TEXT NOT NULL DEFAULT '',
                profession TEXT NOT NULL DEFAULT '',
                disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
                created_at_us INTEGER NOT NULL
            );
            CREATE UNIQUE INDEX staff_username ON staff (username);
            CREATE TABLE staff_certificates (
                thumbprint TEXT PRIMARY KEY,
                staff_id TEXT NOT NULL REFERENCES staff (id),
                serial TEXT NOT NULL,
                issued_at_us INTEGER NOT NULL,
                revoked_at_us INTEGER
            );
            CREATE INDEX staff_certificates_staff ON staff_certificates (staff_id)
            """),
        Migration.portable(version: 4, name: "service accounts", sql: """
            CREATE TABLE service_accounts (
                name TEXT PRIMARY KEY,
                role INTEGER NOT NULL CHECK (role IN (5, 6)),
                certificate_thumbprint TEXT NOT NULL,
                disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
                created_at_us INTEGER NOT NULL
            );
            CREATE UNIQUE INDEX service_accounts_certificate ON service_accounts (certificate_thumbprint)
            """),
        Migration.portable(version: 5, name: "customer identity checks", sql: """
            CREATE TABLE customer_identity_checks (
                id TEXT PRIMARY KEY,
                customer_id TEXT NOT NULL REFERENCES customers (id),
                outcome INTEGER NOT NULL CHECK (outcome IN (1, 2)),
                method BLOB NOT NULL,
                notes BLOB NOT NULL,
                checked_by TEXT NOT NULL,
                checked_at_us INTEGER NOT NULL
            );
            CREATE INDEX customer_identity_checks_customer ON customer_identity_checks (customer_id, checked_at_us)
            """),
        Migration.portable(version: 6, name: "staff authenticator re-enrolment", sql: """
            ALTER TABLE staff ADD COLUMN pending_totp_secret BLOB
            """),
        Migration.portable(version: 7, name: "staff addresses", sql: """
            ALTER TABLE staff ADD COLUMN address BLOB
            """),
        Migration.portable(version: 8, name: "consultations, answer history, discount codes, orders, messages, verifications, signing keys, outbox", sql: """
            ALTER TABLE customers ADD COLUMN address_index BLOB;
            CREATE INDEX customers_address_index ON customers (address_index);
            CREATE TABLE consultations (
                id TEXT PRIMARY KEY,
                customer_id TEXT NOT NULL REFERENCES customers (id),
                treatment_id TEXT NOT NULL,
                questionnaire_version TEXT NOT NULL,
                state INTEGER NOT NULL CHECK (state IN (1, 2, 3)),
                outcome INTEGER NOT NULL DEFAULT 0 CHECK (outcome IN (0, 1, 2)),
                answer_count INTEGER NOT NULL DEFAULT 0,
                started_at_us INTEGER NOT NULL,
                submitted_at_us INTEGER,
                rule_set_version TEXT,
                flag_count INTEGER NOT NULL DEFAULT 0,
                assessment BLOB
            );
            CREATE INDEX consultations_customer ON consultations (customer_id, started_at_us);
            CREATE TABLE consultation_answers (
                id TEXT PRIMARY KEY,
                consultation_id TEXT NOT NULL REFERENCES consultations (id),
                seq INTEGER NOT NULL,
                question_id TEXT NOT NULL,
                answer BLOB NOT NULL,
                changed INTEGER NOT NULL CHECK (changed IN (0, 1)),
                recorded_at_us INTEGER NOT NULL
            );
            CREATE UNIQUE INDEX consultation_answers_seq ON consultation_answers (consultation_id, seq);
            CREATE TABLE discount_codes (
                code TEXT PRIMARY KEY,
                percentage_basis_points INTEGER,
                fixed_pence INTEGER,
                valid_from_us INTEGER,
                valid_until_us INTEGER,
                max_redemptions INTEGER,
                first_order_only INTEGER NOT NULL CHECK (first_order_only IN (0, 1)),
                redemptions INTEGER NOT NULL DEFAULT 0,
                CHECK ((percentage_basis_points IS NULL) <> (fixed_pence IS NULL)),
                CHECK (max_redemptions IS NULL OR redemptions <= max_redemptions)
            );
            CREATE TABLE orders (
                id TEXT PRIMARY KEY,
                customer_id TEXT NOT NULL REFERENCES customers (id),
                consultation_id TEXT NOT NULL REFERENCES consultations (id),
                treatment_id TEXT NOT NULL,
                product_id TEXT NOT NULL,
                quantity INTEGER NOT NULL CHECK (quantity > 0),
                status INTEGER NOT NULL,
                payment_status INTEGER NOT NULL,
                payment_id TEXT NOT NULL,
                payment_method_index BLOB NOT NULL,
                delivery_option_id TEXT NOT NULL,
                delivery_address BLOB NOT NULL,
                medication_pence INTEGER NOT NULL CHECK (medication_pence >= 0),
                discount_pence INTEGER NOT NULL CHECK (discount_pence >= 0 AND discount_pence <= medication_pence),
                delivery_pence INTEGER NOT NULL CHECK (delivery_pence >= 0),
                total_pence INTEGER NOT NULL CHECK (total_pence = medication_pence - discount_pence + delivery_pence),
                discount_code TEXT REFERENCES discount_codes (code),
                quote BLOB NOT NULL,
                flag_count INTEGER NOT NULL DEFAULT 0,
                checkout_flags BLOB NOT NULL,
                status_changes INTEGER NOT NULL DEFAULT 1,
                message_count INTEGER NOT NULL DEFAULT 0,
                waiting_since_us INTEGER,
                created_at_us INTEGER NOT NULL,
                updated_at_us INTEGER NOT NULL
            );
            CREATE UNIQUE INDEX orders_one_per_consultation ON orders (consultation_id);
            CREATE INDEX orders_customer ON orders (customer_id, created_at_us);
            CREATE INDEX orders_status ON orders (status, created_at_us);
            CREATE INDEX orders_payment_method ON orders (payment_method_index);
            CREATE INDEX orders_waiting ON orders (waiting_since_us) WHERE waiting_since_us IS NOT NULL;
            CREATE TABLE order_messages (
                id TEXT PRIMARY KEY,
                order_id TEXT NOT NULL REFERENCES orders (id),
                seq INTEGER NOT NULL,
                author_id TEXT NOT NULL,
                author_role INTEGER NOT NULL,
                text BLOB NOT NULL,
                at_us INTEGER NOT NULL
            );
            CREATE UNIQUE INDEX order_messages_seq ON order_messages (order_id, seq);
            CREATE TABLE verifications (
                id TEXT PRIMARY KEY,
                order_id TEXT NOT NULL REFERENCES orders (id),
                customer_id TEXT NOT NULL REFERENCES customers (id),
                method INTEGER NOT NULL,
                details BLOB NOT NULL,
                independent INTEGER NOT NULL CHECK (independent IN (0, 1)),
                recorded_by TEXT NOT NULL,
                recorded_at_us INTEGER NOT NULL
            );
            CREATE INDEX verifications_order ON verifications (order_id);
            ALTER TABLE staff ADD COLUMN signing_key BLOB;
            ALTER TABLE staff ADD COLUMN signing_public_key BLOB;
            CREATE TABLE outbox (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                subject TEXT NOT NULL,
                payload BLOB NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at_us INTEGER NOT NULL,
                created_at_us INTEGER NOT NULL,
                done_at_us INTEGER,
                outcome TEXT NOT NULL DEFAULT ''
            );
            CREATE INDEX outbox_due ON outbox (next_attempt_at_us) WHERE done_at_us IS NULL;
            CREATE TABLE order_status_changes (
                order_id TEXT NOT NULL REFERENCES orders (id),
                seq INTEGER NOT NULL,
                status INTEGER NOT NULL,
                at_us INTEGER NOT NULL,
                actor TEXT NOT NULL,
                reason TEXT NOT NULL,
                PRIMARY KEY (order_id, seq)
            )
            """),
        Migration(version: 9, name: "answer history and status history are append-only", sql: """
            CREATE TRIGGER consultation_answers_no_delete BEFORE DELETE ON consultation_answers
                BEGIN SELECT RAISE(ABORT, 'answer history is append-only'); END;
            CREATE TRIGGER consultation_answers_no_rewrite
                BEFORE UPDATE OF id, consultation_id, seq, question_id, changed, recorded_at_us ON consultation_answers
                BEGIN SELECT RAISE(ABORT, 'answer history is append-only'); END;
            CREATE TRIGGER order_status_changes_no_change BEFORE UPDATE ON order_status_changes
                BEGIN SELECT RAISE(ABORT, 'order status history is append-only'); END;
            CREATE TRIGGER order_status_changes_no_delete BEFORE DELETE ON order_status_changes
                BEGIN SELECT RAISE(ABORT, 'order status history is append-only'); END
            """, postgres: """
            CREATE FUNCTION history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$;
            CREATE TRIGGER consultation_answers_no_delete BEFORE DELETE ON consultation_answers
                FOR EACH ROW EXECUTE FUNCTION history_append_only();
            CREATE TRIGGER consultation_answers_no_rewrite
                BEFORE UPDATE OF id, consultation_id, seq, question_id, changed, recorded_at_us ON consultation_answers
                FOR EACH ROW EXECUTE FUNCTION history_append_only();
            CREATE TRIGGER order_status_changes_no_change BEFORE UPDATE OR DELETE ON order_status_changes
                FOR EACH ROW EXECUTE FUNCTION history_append_only()
            """),
        Migration.portable(version: 10, name: "prescriptions, inventory, dispensing, the POM register, shipments", sql: """
            CREATE TABLE prescriptions (
                id TEXT PRIMARY KEY,
                order_id TEXT NOT NULL REFERENCES orders (id),
                prescriber_id TEXT NOT NULL REFERENCES staff (id),
                issued_at_us INTEGER NOT NULL,
                valid_until TEXT NOT NULL,
                particulars BLOB NOT NULL,
                signature BLOB NOT NULL,
                public_key BLOB NOT NULL
            );
            CREATE UNIQUE INDEX prescriptions_order ON prescriptions (order_id);
            CREATE INDEX prescriptions_issued ON prescriptions (issued_at_us);
            CREATE TABLE inventory (
                product_id TEXT PRIMARY KEY,
                on_hand INTEGER NOT NULL CHECK (on_hand >= 0),
                reserved INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= on_hand),
                low_stock_threshold INTEGER NOT NULL DEFAULT 0 CHECK (low_stock_threshold >= 0),
                updated_at_us INTEGER NOT NULL
            );
            CREATE TABLE stock_movements (
                id TEXT PRIMARY KEY,
                product_id TEXT NOT NULL,
                on_hand_change INTEGER NOT NULL,
                reserved_change INTEGER NOT NULL,
                reason TEXT NOT NULL,
                order_id TEXT,
                actor TEXT NOT NULL,
                at_us INTEGER NOT NULL
            );
            CREATE INDEX stock_movements_product ON stock_movements (product_id, at_us);
            CREATE TABLE dispensing (
                order_id TEXT PRIMARY KEY REFERENCES orders (id),
                items_required INTEGER NOT NULL CHECK (items_required > 0),
                items_verified INTEGER NOT NULL DEFAULT 0 CHECK (items_verified >= 0 AND items_verified <= items_required),
                started_by TEXT NOT NULL,
                started_at_us INTEGER NOT NULL,
                completed_at_us INTEGER
            );
            CREATE TABLE pom_register (
                id TEXT PRIMARY KEY,
                order_id TEXT NOT NULL REFERENCES orders (id),
                prescription_id TEXT NOT NULL REFERENCES prescriptions (id),
                supply_date TEXT NOT NULL,
                keep_until TEXT NOT NULL,
                entry BLOB NOT NULL,
                supplied_by TEXT NOT NULL,
                created_at_us INTEGER NOT NULL
            );
            CREATE UNIQUE INDEX pom_register_order ON pom_register (order_id);
            CREATE TABLE shipments (
                id TEXT PRIMARY KEY,
                order_id TEXT NOT NULL REFERENCES orders (id),
                tracking_number TEXT NOT NULL,
                service_code TEXT NOT NULL,
                courier_shipment_id TEXT NOT NULL,
                label BLOB NOT NULL,
                refrigerated INTEGER NOT NULL CHECK (refrigerated IN (0, 1)),
                signature_required INTEGER NOT NULL CHECK (signature_required IN (0, 1)),
                dispatch_date TEXT NOT NULL,
                estimated_delivery TEXT NOT NULL,
                created_by TEXT NOT NULL,
                created_at_us INTEGER NOT NULL
            );
            CREATE UNIQUE INDEX shipments_order ON shipments (order_id);
            CREATE UNIQUE INDEX shipments_tracking_number ON shipments (tracking_number);
            CREATE TABLE tracking_events (
                id TEXT PRIMARY KEY,
                shipment_id TEXT NOT NULL REFERENCES shipments (id),
                event_key TEXT NOT NULL,
                code TEXT NOT NULL,
                occurred_at_us INTEGER NOT NULL,
                details BLOB NOT NULL,
                order_status INTEGER NOT NULL,
                recorded_by TEXT NOT NULL,
                recorded_at_us INTEGER NOT NULL
            );
            CREATE UNIQUE INDEX tracking_events_once ON tracking_events (event_key);
            CREATE INDEX tracking_events_shipment ON tracking_events (shipment_id, occurred_at_us)
            """),
        Migration(version: 11, name: "the POM register is append-only", sql: """
            CREATE TRIGGER pom_register_no_delete BEFORE DELETE ON pom_register
                BEGIN SELECT RAISE(ABORT, 'the POM register is append-only'); END;
            CREATE TRIGGER pom_register_no_rewrite
                BEFORE UPDATE OF id, order_id, prescription_id, supply_date, keep_until, supplied_by, created_at_us ON pom_register
                BEGIN SELECT RAISE(ABORT, 'the POM register is append-only'); END
            """, postgres: """
            CREATE TRIGGER pom_register_no_delete BEFORE DELETE ON pom_register
                FOR EACH ROW EXECUTE FUNCTION history_append_only();
            CREATE TRIGGER pom_register_no_rewrite
                BEFORE UPDATE OF id, order_id, prescription_id, supply_date, keep_until, supplied_by, created_at_us ON pom_register
                FOR EACH ROW EXECUTE FUNCTION history_append_only()
            """),
        Migration.portable(version: 12, name: "customer feedback", sql: """
            CREATE TABLE feedback (
                order_id TEXT PRIMARY KEY REFERENCES orders (id),
                customer_id TEXT NOT NULL REFERENCES customers (id),
                rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
                comment BLOB NOT NULL,
                submitted_at_us INTEGER NOT NULL
            );
            CREATE INDEX feedback_submitted ON feedback (submitted_at_us)
            """),
        Migration.portable(version: 13, name: "support tickets", sql: """
            CREATE TABLE tickets (
                id TEXT PRIMARY KEY,
                customer_id TEXT NOT NULL REFERENCES customers (id),
                order_id TEXT REFERENCES orders (id),
                category INTEGER NOT NULL,
                state INTEGER NOT NULL,
                channel INTEGER NOT NULL,
                subject BLOB NOT NULL,
                assigned_to TEXT,
                escalated_to INTEGER NOT NULL DEFAULT 0,
                message_count INTEGER NOT NULL DEFAULT 0,
                reply_count INTEGER NOT NULL DEFAULT 0,
                opened_at_us INTEGER NOT NULL,
                first_response_at_us INTEGER,
                escalated_at_us INTEGER,
                resolved_at_us INTEGER,
                updated_at_us INTEGER NOT NULL
            );
            CREATE INDEX tickets_customer ON tickets (customer_id, opened_at_us);
            CREATE INDEX tickets_state ON tickets (state, opened_at_us);
            CREATE TABLE ticket_messages (
                id TEXT PRIMARY KEY,
                ticket_id TEXT NOT NULL REFERENCES tickets (id),
                seq INTEGER NOT NULL,
                author_id TEXT NOT NULL,
                author_role INTEGER NOT NULL,
                text BLOB NOT NULL,
                internal INTEGER NOT NULL CHECK (internal IN (0, 1)),
                template TEXT NOT NULL DEFAULT '',
                at_us INTEGER NOT NULL
            );
            CREATE UNIQUE INDEX ticket_messages_seq ON ticket_messages (ticket_id, seq);
            CREATE INDEX ticket_messages_author ON ticket_messages (author_id, at_us)
            """),
        Migration.portable(version: 14, name: "complaints, evidence and refunds", sql: """
            CREATE TABLE complaints (
                id TEXT PRIMARY KEY,
                order_id TEXT NOT NULL REFERENCES orders (id),
                customer_id TEXT NOT NULL REFERENCES customers (id),
                reason INTEGER NOT NULL,
                state INTEGER NOT NULL,
                description BLOB NOT NULL,
                evidence_request BLOB,
                outcome INTEGER NOT NULL DEFAULT 0,
                refund_pence INTEGER,
                replacement_order_id TEXT REFERENCES orders (id),
                resolution_note BLOB,
                resolved_by TEXT,
                filed_at_us INTEGER NOT NULL,
                resolved_at_us INTEGER,
                evidence_requests INTEGER NOT NULL DEFAULT 0,
                evidence_count INTEGER NOT NULL DEFAULT 0,
                updated_at_us INTEGER NOT NULL
            );
            CREATE INDEX complaints_customer ON complaints (customer_id, filed_at_us);
            CREATE INDEX complaints_state ON complaints (state, filed_at_us);
            CREATE TABLE complaint_evidence (
                id TEXT PRIMARY KEY,
                complaint_id TEXT NOT NULL REFERENCES complaints (id),
                content_type TEXT NOT NULL,
                size_bytes INTEGER NOT NULL CHECK (size_bytes > 0),
                sha256 TEXT NOT NULL,
                content BLOB NOT NULL,
                uploaded_at_us INTEGER NOT NULL
            );
            CREATE INDEX complaint_evidence_complaint ON complaint_evidence (complaint_id);
            CREATE TABLE refunds (
                id TEXT PRIMARY KEY,
                order_id TEXT NOT NULL REFERENCES orders (id),
                complaint_id TEXT REFERENCES complaints (id),
                amount_pence INTEGER NOT NULL CHECK (amount_pence > 0),
                state INTEGER NOT NULL,
                gateway_refund_id TEXT,
                requested_by TEXT NOT NULL,
                requested_at_us INTEGER NOT NULL,
                completed_at_us INTEGER
            );
            CREATE INDEX refunds_order ON refunds (order_id);
            ALTER TABLE orders ADD COLUMN replaces_order_id TEXT REFERENCES orders (id);
            DROP INDEX orders_one_per_consultation;
            CREATE UNIQUE INDEX orders_one_per_consultation ON orders (consultation_id) WHERE replaces_order_id IS NULL
            """),
    ]
}

extension Migration {
    /// A migration written once, in SQLite's text; PostgreSQL's is derived from the only two ways
    /// these statements differ: BYTEA for BLOB, and BIGINT for the 64-bit columns (instants in
    /// microseconds, amounts in pence, TOTP steps) that SQLite's INTEGER holds anyway.
    static func portable(version: Int, name: String, sql: String) -> Migration {
        let postgres = sql.replacing(" BLOB", with: " BYTEA")
            .replacing(/(\w+_us|\w+_pence|totp_last_step) INTEGER/) { match in "\(match.1) BIGINT" }
        return Migration(version: version, name: name, sql: sql, postgres: postgres)
    }
}
