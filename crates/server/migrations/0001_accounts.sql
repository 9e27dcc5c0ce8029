-- Tenants (clinics), accounts, second factors, sessions, and security events.
-- PHI columns (*_enc) hold AES-256-GCM ciphertexts under the tenant's data key; emails are
-- found through an HMAC blind index. Times are Unix seconds.

CREATE TABLE tenants (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    time_zone        TEXT NOT NULL,
    allowed_origins  TEXT NOT NULL DEFAULT '[]',
    data_key_wrapped BLOB NOT NULL,
    created_at       INTEGER NOT NULL
);

CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL REFERENCES tenants (id),
    role                TEXT NOT NULL CHECK (role IN ('patient', 'receptionist', 'provider', 'admin')),
    email_index         BLOB NOT NULL,
    email_enc           BLOB NOT NULL,
    name_enc            BLOB NOT NULL,
    auth_hash           TEXT NOT NULL,
    kdf_params          TEXT NOT NULL,
    public_key          BLOB NOT NULL,
    wrapped_private_key TEXT NOT NULL,
    totp_secret_enc     BLOB,
    totp_pending_enc    BLOB,
    totp_last_step      INTEGER,
    failed_attempts     INTEGER NOT NULL DEFAULT 0,
    locked_until        INTEGER,
    created_at          INTEGER NOT NULL,
    UNIQUE (tenant_id, email_index)
);

CREATE TABLE recovery_codes (
    user_id             TEXT NOT NULL REFERENCES users (id),
    slot                INTEGER NOT NULL,
    code_hash           TEXT,
    wrapped_private_key TEXT NOT NULL,
    PRIMARY KEY (user_id, slot)
);

CREATE TABLE sessions (
    token_hash   BLOB PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    mfa_done     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE security_events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    user_id   TEXT,
    kind      TEXT NOT NULL,
    at        INTEGER NOT NULL
);
