-- The flash: what a form post hands to the page its redirect shows, sealed
-- under a key only the session's browser can derive (src/server/flash.rs).
CREATE TABLE flashes (
    id TEXT PRIMARY KEY,
    session_hash TEXT NOT NULL REFERENCES sessions(token_hash) ON DELETE CASCADE,
    sealed TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX flashes_by_session ON flashes (session_hash);
CREATE INDEX flashes_by_expiry ON flashes (expires_at);
