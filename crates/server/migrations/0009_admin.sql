-- Clinic administration: staff invitations, removed staff, and who did what.
-- Times are Unix seconds.

-- A removed staff member's account is kept (bookings, log entries and clinic-key history
-- name it) but disabled: it cannot sign in, its sessions are gone, and it holds no
-- clinic-key copy.
ALTER TABLE users ADD COLUMN disabled_at INTEGER;

-- The admin who caused a security event, when it is not the account it concerns (a role
-- change, a removal).
ALTER TABLE security_events ADD COLUMN actor_id TEXT;

-- An admin's invitation of a staff member. The token is 256 random bits shown once to the
-- admin; only its SHA-256 is kept. The email is bound through the tenant's blind index and
-- kept encrypted (for the admin's list of pending invitations), like users.email_enc.
-- provider_name is the display name of the provider record created on acceptance: a name
-- patients see, like providers.display_name, so not encrypted.
CREATE TABLE staff_invitations (
    id            TEXT NOT NULL PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    token_hash    BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    email_index   BLOB NOT NULL,
    email_enc     BLOB NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('receptionist', 'provider', 'admin')),
    provider_name TEXT CHECK (provider_name IS NULL OR role = 'provider'),
    created_at    INTEGER NOT NULL,
    created_by    TEXT NOT NULL,
    expires_at    INTEGER NOT NULL CHECK (expires_at > created_at),
    accepted_at   INTEGER,
    accepted_by   TEXT,
    revoked_at    INTEGER,
    FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, accepted_by) REFERENCES users (tenant_id, id),
    CHECK ((accepted_at IS NULL) = (accepted_by IS NULL)),
    CHECK (accepted_at IS NULL OR revoked_at IS NULL)
);
CREATE INDEX staff_invitations_by_email ON staff_invitations (tenant_id, email_index);
