-- The access log: one append-only Merkle tree per clinic. Each leaf commits to
-- SHA-256(salt || canonical event); the event and its salt are stored encrypted under the
-- tenant's data key, and shown only to the patient whose record was accessed.
CREATE TABLE access_log (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    leaf_index INTEGER NOT NULL,
    patient_id TEXT NOT NULL,
    leaf_hash  BLOB NOT NULL,
    entry_enc  BLOB NOT NULL,
    PRIMARY KEY (tenant_id, leaf_index)
);
CREATE INDEX access_log_by_patient ON access_log (tenant_id, patient_id, leaf_index);
