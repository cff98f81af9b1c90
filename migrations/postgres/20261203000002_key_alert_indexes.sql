-- The Developer page's banners count keys expiring within 7 days and keys
-- revoked as leaked from these, not from all of an organisation's keys
-- (keys::data::expiring_soon_query, leaked_query; tests/it/plans.rs). Each
-- holds only the keys it is for: most keys never expire, and few leak.
CREATE INDEX api_keys_by_expiry ON api_keys (organisation_id, expires_at)
    WHERE expires_at IS NOT NULL AND is_playground = FALSE;
CREATE INDEX api_keys_leaked ON api_keys (organisation_id, revoked_at)
    WHERE revoked_reason = 'leaked';
