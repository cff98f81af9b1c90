-- A platform admin can disable an account (its sessions end, sign-in is
-- refused) and issue a one-time password-reset link, stored hashed.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX password_resets_by_user ON password_resets (user_id);
