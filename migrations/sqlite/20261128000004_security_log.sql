-- Sign-in results and account changes, for platform admins. Never a
-- password, not even a mistyped one.
CREATE TABLE security_events (
    id INTEGER PRIMARY KEY,
    occurred_at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    email TEXT NOT NULL,
    client_ip TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
