-- A booking lasts at most 8 hours (480 minutes, the longest service: services.duration_minutes
-- is CHECKed to 5..480, and a booking is one slot of its service). Enforced here as well, so
-- the overlap checks can rely on it: an active booking that overlaps [start, end) starts
-- after start - 8 hours, and the index on (tenant_id, provider_id, start_at) then reads only
-- those few rows instead of every earlier booking of the provider.
-- (A CHECK cannot be added to an existing SQLite table without rebuilding it; triggers can.)
CREATE TRIGGER bookings_length_insert BEFORE INSERT ON bookings
WHEN NEW.end_at - NEW.start_at > 28800
BEGIN
    SELECT RAISE(ABORT, 'a booking lasts at most 8 hours');
END;

CREATE TRIGGER bookings_length_update BEFORE UPDATE OF start_at, end_at ON bookings
WHEN NEW.end_at - NEW.start_at > 28800
BEGIN
    SELECT RAISE(ABORT, 'a booking lasts at most 8 hours');
END;
