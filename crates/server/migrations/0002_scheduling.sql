-- Scheduling: services, providers, weekly schedules, and bookings.
-- Every row carries its tenant, and every reference between rows is tenant-qualified
-- (composite foreign keys), so a row of one clinic can never point at another clinic's.
-- Times of bookings are Unix seconds (UTC); schedules are minutes of the day in the
-- clinic's local time (tenants.time_zone). A booking's note is a sealed envelope in its text
-- form (`bze1.…`), opaque to the server, or NULL.

-- Lets bookings reference (tenant_id, patient_id) and providers (tenant_id, user_id).
CREATE UNIQUE INDEX users_by_tenant_and_id ON users (tenant_id, id);

CREATE TABLE services (
    id               TEXT NOT NULL PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id),
    name             TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL CHECK (duration_minutes BETWEEN 5 AND 480),
    active           INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    UNIQUE (tenant_id, id)
);

CREATE TABLE providers (
    id           TEXT NOT NULL PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    -- The provider's staff account: the bookings with them are theirs to see.
    user_id      TEXT NOT NULL,
    display_name TEXT NOT NULL,
    active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    UNIQUE (tenant_id, id),
    UNIQUE (user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);

-- weekday: 0 = Sunday ... 6 = Saturday (as JavaScript's getDay). [start_minute, end_minute)
-- in the clinic's local time; end_minute 1440 is midnight at the end of the day.
CREATE TABLE weekly_schedules (
    tenant_id    TEXT NOT NULL,
    provider_id  TEXT NOT NULL,
    weekday      INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute   INTEGER NOT NULL CHECK (end_minute > start_minute AND end_minute <= 1440),
    PRIMARY KEY (provider_id, weekday, start_minute),
    FOREIGN KEY (tenant_id, provider_id) REFERENCES providers (tenant_id, id)
);

CREATE TABLE bookings (
    id          TEXT NOT NULL PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    patient_id  TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    service_id  TEXT NOT NULL,
    start_at    INTEGER NOT NULL,
    end_at      INTEGER NOT NULL CHECK (end_at > start_at),
    status      TEXT NOT NULL CHECK (status IN ('active', 'cancelled')),
    note        TEXT CHECK (note IS NULL OR note LIKE 'bze1.%'),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, patient_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, provider_id) REFERENCES providers (tenant_id, id),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id)
);

-- The backstop against double booking: the overlap check runs in a write transaction, and
-- even if it were bypassed, two active bookings cannot start at one time with one provider.
CREATE UNIQUE INDEX bookings_one_active_per_start ON bookings (provider_id, start_at) WHERE status = 'active';
CREATE INDEX bookings_by_provider ON bookings (tenant_id, provider_id, start_at);
CREATE INDEX bookings_by_patient ON bookings (tenant_id, patient_id, start_at);
