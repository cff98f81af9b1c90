-- Invitations replace passwords chosen by admins: a single-use link, stored
-- as the SHA-256 of its token, accepted by the invitee with their own
-- password (new account) or their existing one.
CREATE TABLE invitations (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    is_developer BOOLEAN NOT NULL DEFAULT FALSE,
    invited_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    accepted_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX invitations_by_organisation ON invitations (organisation_id, id);
