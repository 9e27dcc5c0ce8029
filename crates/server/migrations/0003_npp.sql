-- Notice of Privacy Practices: versions (text and SHA-256) published per clinic, and each
-- patient's acknowledgments (version, time, channel). Nothing here is PHI.

CREATE TABLE npp_versions (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    hash         TEXT NOT NULL,
    text         TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    published_by TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (tenant_id, hash)
);
CREATE INDEX npp_versions_latest ON npp_versions (tenant_id, published_at);

CREATE TABLE npp_acks (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    user_id         TEXT NOT NULL REFERENCES users (id),
    version_hash    TEXT NOT NULL,
    acknowledged_at INTEGER NOT NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('portal', 'widget'))
);
CREATE INDEX npp_acks_by_user ON npp_acks (user_id, id);
