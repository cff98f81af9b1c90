-- The request log: each API request by a known key (refusals included),
-- written in batches with the usage counts and kept 14 days
-- (LEADLINE_REQUEST_LOG_DAYS). Never a body, a header value but the user
-- agent, or a query value: only the query's parameter names. No foreign
-- keys: rows outlive a deleted key, as audit entries do, and a flush never
-- waits on one.
CREATE TABLE request_log (
    id INTEGER PRIMARY KEY,
    request_id TEXT NOT NULL,
    organisation_id BIGINT NOT NULL,
    key_id BIGINT NOT NULL,
    key_prefix TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    method TEXT NOT NULL,
    route TEXT NOT NULL,
    path TEXT NOT NULL,
    status BIGINT NOT NULL,
    status_class BIGINT NOT NULL,
    outcome TEXT,
    error_code TEXT,
    client_ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    latency_us BIGINT NOT NULL,
    response_bytes BIGINT,
    query_names TEXT NOT NULL
);
-- Newest first, a page at a time, whatever the filter: each filter has its
-- index, ordered by time (tests/it/plans.rs).
CREATE INDEX request_log_by_time ON request_log (organisation_id, occurred_at, id);
CREATE INDEX request_log_by_key ON request_log (organisation_id, key_prefix, occurred_at, id);
CREATE INDEX request_log_by_class ON request_log (organisation_id, status_class, occurred_at, id);
CREATE INDEX request_log_by_code ON request_log (organisation_id, error_code, occurred_at, id);
CREATE INDEX request_log_by_route ON request_log (organisation_id, route, occurred_at, id);
CREATE INDEX request_log_by_request_id ON request_log (organisation_id, request_id);
CREATE INDEX request_log_by_age ON request_log (occurred_at);
