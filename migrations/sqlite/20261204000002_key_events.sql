-- What people are told about their keys (key.expiring, key.leaked, ...):
-- each event once, whichever instance finds it, and kept through restarts.
-- An event an action causes (a revocation) is written in the action's
-- transaction; one that time brings (an expiry) is found by the scheduler,
-- and due_at names the moment it is about, so that the unique index lets
-- it exist once however many instances look. Action events have no due_at.
-- The scheduler turns each new event into mail (queued_at set in the same
-- transaction), so an action's own transaction writes one row only.
-- No foreign key to the key: events outlive a deleted key, as audit
-- entries do.
CREATE TABLE key_events (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    key_id BIGINT NOT NULL,
    key_prefix TEXT NOT NULL,
    key_name TEXT NOT NULL,
    -- Who made the key (it is mailed to them), kept should the key go.
    created_by BIGINT,
    due_at BIGINT,
    occurred_at BIGINT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    queued_at BIGINT
);
CREATE UNIQUE INDEX key_events_once ON key_events (key_id, kind, due_at);
CREATE INDEX key_events_by_age ON key_events (occurred_at);
CREATE INDEX key_events_to_queue ON key_events (id) WHERE queued_at IS NULL;

-- Mail waiting to go, sent, or given up on, with the last error: what the
-- Outbox admin page shows. Without SMTP configured, mail is written to the
-- server log and marked 'logged'. Rendered when queued, so the page shows
-- what was (or will be) sent.
CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY,
    event_id BIGINT REFERENCES key_events(id) ON DELETE SET NULL,
    organisation_id BIGINT REFERENCES organisations(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
-- The sender's queue: only mail still to be tried is in it.
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX mail_outbox_by_status ON mail_outbox (status, id);
CREATE INDEX mail_outbox_by_age ON mail_outbox (created_at);
-- A deleted key's mail goes with its events (see the Delete key dialog).
CREATE INDEX mail_outbox_by_event ON mail_outbox (event_id) WHERE event_id IS NOT NULL;

-- The kinds of mail a person turned off on their Account page (key.leaked
-- cannot be).
CREATE TABLE notification_opt_outs (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- Work that one instance at a time does (sending notifications): the
-- holder renews its lease while it works; another takes over once it ends.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- The scheduler's look for keys about to expire, expired, and retired
-- (a roll's grace period over), across organisations. Only keys nobody
-- revoked: the Developer page's banners, which count revoked keys too,
-- keep their own per-organisation index.
CREATE INDEX api_keys_expiring ON api_keys (expires_at)
    WHERE expires_at IS NOT NULL AND is_playground = FALSE AND revoked_at IS NULL;
CREATE INDEX api_keys_retiring ON api_keys (revoked_at)
    WHERE revoked_reason = 'rolled';
