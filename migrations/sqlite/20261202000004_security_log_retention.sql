-- The security log keeps LEADLINE_SECURITY_LOG_DAYS (default 90) of
-- entries; the hourly prune deletes older ones through this index.
CREATE INDEX security_events_occurred_at ON security_events (occurred_at);
