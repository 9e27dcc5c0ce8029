-- Front-desk check-in, the date range of booking lists, and a patient's privacy preferences:
-- confidential communications and restriction requests (45 CFR 164.522).
-- Times are Unix seconds.

-- When and by whom the patient was checked in; both NULL until then, and again after the
-- booking is moved to another time.
ALTER TABLE bookings ADD COLUMN checked_in_at INTEGER;
ALTER TABLE bookings ADD COLUMN checked_in_by TEXT;

-- The clinic's schedule of a range of days (receptionists and admins list the whole clinic).
CREATE INDEX bookings_by_start ON bookings (tenant_id, start_at);

-- A patient's confidential contact: method, value and instructions as one JSON document,
-- AES-256-GCM under the tenant's data key, bound to table, column and the patient's id
-- (like users.name_enc). Nothing of it is stored in clear, not even the method.
CREATE TABLE confidential_contacts (
    patient_id  TEXT NOT NULL PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    contact_enc BLOB NOT NULL,
    updated_at  INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, patient_id) REFERENCES users (tenant_id, id)
);

-- Restriction requests. The details are a sealed envelope (`bze1.…`), opaque to the server;
-- the admin's reason is AES-256-GCM under the tenant's data key, bound to the row and column.
CREATE TABLE restrictions (
    id               TEXT NOT NULL PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id),
    patient_id       TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('health-plan', 'other')),
    details_envelope TEXT NOT NULL CHECK (details_envelope LIKE 'bze1.%'),
    status           TEXT NOT NULL CHECK (status IN ('pending', 'agreed', 'denied', 'withdrawn')),
    requested_at     INTEGER NOT NULL,
    decided_at       INTEGER,
    decided_by       TEXT,
    reason_enc       BLOB,
    withdrawn_at     INTEGER,
    updated_at       INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, patient_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, decided_by) REFERENCES users (tenant_id, id),
    -- The state machine, as a backstop to the handlers: each state has exactly its facts.
    CHECK ((decided_at IS NULL) = (decided_by IS NULL)),
    CHECK (decided_at IS NOT NULL OR reason_enc IS NULL),
    CHECK (status <> 'pending' OR (decided_at IS NULL AND withdrawn_at IS NULL)),
    CHECK (status <> 'agreed' OR (decided_at IS NOT NULL AND withdrawn_at IS NULL)),
    CHECK (status <> 'denied' OR (decided_at IS NOT NULL AND reason_enc IS NOT NULL AND withdrawn_at IS NULL)),
    CHECK (status <> 'withdrawn' OR withdrawn_at IS NOT NULL)
);

CREATE INDEX restrictions_by_patient ON restrictions (tenant_id, patient_id, requested_at);
CREATE INDEX restrictions_by_tenant ON restrictions (tenant_id, requested_at);
