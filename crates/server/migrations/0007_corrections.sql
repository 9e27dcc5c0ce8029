-- Corrections (HIPAA amendment requests): a patient asks for a change to the record of one
-- of their bookings; the booking's provider or an admin accepts or denies it, or extends the
-- deadline once; after a denial the patient may file one statement of disagreement.
-- The requested change and the statement are sealed envelopes (`bze1.…`), opaque to the
-- server. Staff reasons are AES-256-GCM ciphertexts under the tenant's data key, bound to
-- the row and column. Times are Unix seconds.

-- Lets a correction reference (tenant_id, booking id, patient) as one key, so its patient is
-- the booking's patient by construction.
CREATE UNIQUE INDEX bookings_by_tenant_id_and_patient ON bookings (tenant_id, id, patient_id);

CREATE TABLE corrections (
    id                    TEXT NOT NULL PRIMARY KEY,
    tenant_id             TEXT NOT NULL REFERENCES tenants (id),
    booking_id            TEXT NOT NULL,
    patient_id            TEXT NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('submitted', 'extended', 'accepted', 'denied')),
    change_envelope       TEXT NOT NULL CHECK (change_envelope LIKE 'bze1.%'),
    requested_at          INTEGER NOT NULL,
    -- requested_at + 60 days; + 90 days once extended.
    due_at                INTEGER NOT NULL CHECK (due_at > requested_at),
    extended_at           INTEGER,
    extended_by           TEXT,
    extension_reason_enc  BLOB,
    decided_at            INTEGER,
    decided_by            TEXT,
    denial_reason_enc     BLOB,
    disagreement_envelope TEXT CHECK (disagreement_envelope IS NULL OR disagreement_envelope LIKE 'bze1.%'),
    disagreement_at       INTEGER,
    updated_at            INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, booking_id, patient_id) REFERENCES bookings (tenant_id, id, patient_id),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, extended_by) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, decided_by) REFERENCES users (tenant_id, id),
    -- The state machine, as a backstop to the handlers: each state has exactly its facts.
    CHECK ((extended_at IS NULL) = (extended_by IS NULL)
           AND (extended_at IS NULL) = (extension_reason_enc IS NULL)),
    CHECK ((decided_at IS NULL) = (decided_by IS NULL)),
    CHECK ((disagreement_at IS NULL) = (disagreement_envelope IS NULL)),
    CHECK (status <> 'submitted' OR (extended_at IS NULL AND decided_at IS NULL)),
    CHECK (status <> 'extended' OR (extended_at IS NOT NULL AND decided_at IS NULL)),
    CHECK (status <> 'accepted' OR (decided_at IS NOT NULL AND denial_reason_enc IS NULL)),
    CHECK (status <> 'denied' OR (decided_at IS NOT NULL AND denial_reason_enc IS NOT NULL)),
    CHECK (status = 'denied' OR (denial_reason_enc IS NULL AND disagreement_envelope IS NULL))
);

CREATE INDEX corrections_by_patient ON corrections (tenant_id, patient_id, requested_at);
CREATE INDEX corrections_by_booking ON corrections (tenant_id, booking_id, requested_at);
