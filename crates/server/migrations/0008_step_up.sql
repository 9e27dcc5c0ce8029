-- When the session's holder last gave a second factor (sign-in or step-up): sensitive
-- actions require it to be recent.
ALTER TABLE sessions ADD COLUMN step_up_at INTEGER;
UPDATE sessions SET step_up_at = last_seen_at WHERE mfa_done = 1;
