-- API requests per key, hour (its start, in ms) and outcome, added to by
-- every instance's usage flush; kept 90 days. No foreign key: a flush for a
-- key deleted meanwhile is skipped by the insert itself.
CREATE TABLE key_usage (
    key_id BIGINT NOT NULL,
    organisation_id BIGINT NOT NULL,
    hour BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    requests BIGINT NOT NULL,
    PRIMARY KEY (key_id, hour, outcome)
);
CREATE INDEX key_usage_by_organisation ON key_usage (organisation_id, hour);
CREATE INDEX key_usage_by_hour ON key_usage (hour);

-- The last refused requests of each key (20 kept per key).
CREATE TABLE key_refusals (
    id INTEGER PRIMARY KEY,
    key_id BIGINT NOT NULL,
    organisation_id BIGINT NOT NULL,
    occurred_at BIGINT NOT NULL,
    code TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    client_ip TEXT NOT NULL
);
CREATE INDEX key_refusals_by_key ON key_refusals (key_id, id);
