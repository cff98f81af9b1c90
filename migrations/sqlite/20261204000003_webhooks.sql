-- Webhook endpoints: an organisation's URLs that receive its key events,
-- signed by the Standard Webhooks specification. The signing secret is
-- kept as it is, since signing needs it (as every webhook sender does); it
-- is shown once, when made or rolled, and never again.
CREATE TABLE webhook_endpoints (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- The event kinds it receives, comma-separated (key.expiring,key.leaked).
    kinds TEXT NOT NULL,
    secret TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    -- Why it was disabled, when it was by the server (failing for 3 days).
    disabled_reason TEXT,
    -- The first failed delivery since the last success.
    failing_since BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_by_organisation ON webhook_endpoints (organisation_id, id);

-- One message to one endpoint, with its attempts so far: the delivery log.
-- webhook-id (message_id) stays the same through retries and redeliveries,
-- so receivers can drop duplicates.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    endpoint_id BIGINT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    event_id BIGINT REFERENCES key_events(id) ON DELETE SET NULL,
    message_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    response_status BIGINT,
    latency_ms BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    last_attempt_at BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_by_age ON webhook_deliveries (created_at);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id) WHERE event_id IS NOT NULL;
