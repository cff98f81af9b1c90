-- Two-factor sign-in (TOTP, RFC 6238). The secret is set when enrolment
-- starts and counts only once confirmed (totp_enabled_at); the last time
-- step a code was accepted for refuses a replayed code. A platform admin's
-- reset is kept until the user is told, at their next sign-in.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at BIGINT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
ALTER TABLE users ADD COLUMN two_factor_reset_at BIGINT;

-- Ten single-use recovery codes per enrolment, stored as SHA-256.
CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT
);
CREATE INDEX recovery_codes_by_user ON recovery_codes (user_id);

-- Org admins can require two-factor sign-in of their members.
ALTER TABLE organisations ADD COLUMN require_two_factor BOOLEAN NOT NULL DEFAULT FALSE;

-- A session is pending until its second factor is given; confirmed_at is
-- when its owner last proved who they are (sign-in, or a step-up).
ALTER TABLE sessions ADD COLUMN second_factor_pending BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE sessions ADD COLUMN confirmed_at BIGINT;
