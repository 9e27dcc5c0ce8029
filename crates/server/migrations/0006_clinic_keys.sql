-- Clinic keys: each clinic's versioned P-256 key pair that notes are sealed to. The server
-- stores only the public key and copies of the private key wrapped (`bzk1.`, kind
-- public-key) to the personal key of each provider and admin; it can open none of them.
-- Versions count up from 1; the highest is current. Times are Unix seconds.

CREATE TABLE clinic_keys (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    version    INTEGER NOT NULL CHECK (version >= 1),
    -- `v<version>.<fingerprint>`, as bizing_core::KeyId prints it.
    key_id     TEXT NOT NULL UNIQUE,
    -- SEC1 uncompressed. A key is never reused, by another version or another clinic.
    public_key BLOB NOT NULL UNIQUE CHECK (length(public_key) = 65),
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, version),
    FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id)
);

-- One wrapped copy of one version for one staff member of the same clinic. Only providers
-- and admins get one (the store inserts a share only for a user with one of those roles).
CREATE TABLE clinic_key_shares (
    tenant_id   TEXT NOT NULL,
    version     INTEGER NOT NULL,
    user_id     TEXT NOT NULL,
    wrapped_key TEXT NOT NULL CHECK (wrapped_key LIKE 'bzk1.%'),
    created_at  INTEGER NOT NULL,
    -- The admin who shared it.
    created_by  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, version, user_id),
    FOREIGN KEY (tenant_id, version) REFERENCES clinic_keys (tenant_id, version),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX clinic_key_shares_by_user ON clinic_key_shares (tenant_id, user_id, version);
