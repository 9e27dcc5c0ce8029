-- Guest bookings from the widget (no account) and widget sessions (a patient's session
-- handed to the widget's cross-site iframe as a bearer token).

-- A guest is a patient row that can never sign in: `guest = 1`, empty auth columns (no auth
-- hash, KDF parameters, public key or wrapped key), and an email_index that is not the blind
-- index of any email (an HMAC of the row's random id under a label of its own), so no
-- lookup by email ever finds it. Their email and name are in email_enc and name_enc as for
-- anyone; their phone, if they gave one, in phone_enc (AES-256-GCM under the tenant's data
-- key, bound to table, column and row, like name_enc).
ALTER TABLE users ADD COLUMN guest INTEGER NOT NULL DEFAULT 0 CHECK (guest IN (0, 1));
ALTER TABLE users ADD COLUMN phone_enc BLOB;

-- `browser` sessions travel in the cookie, `widget` sessions as `Authorization: Bearer`.
-- A widget session is a child of the browser session it was made from: valid only while
-- that parent is, and deleted with it.
ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'browser' CHECK (kind IN ('browser', 'widget'));
ALTER TABLE sessions ADD COLUMN parent_token_hash BLOB REFERENCES sessions (token_hash) ON DELETE CASCADE;
CREATE INDEX sessions_by_parent ON sessions (parent_token_hash);
