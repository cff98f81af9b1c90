-- Every list is answered from an index, whatever the filters
-- (tests/it/plans.rs reads the plans). The sync feed pages by
-- (updated_at, id); a status filter may come with it.
DROP INDEX leads_by_update;
CREATE INDEX leads_by_update ON leads (organisation_id, updated_at, id);
CREATE INDEX leads_by_status ON leads (organisation_id, status, id);
CREATE INDEX leads_by_status_update ON leads (organisation_id, status, updated_at, id);
CREATE INDEX audit_by_action ON audit_entries (organisation_id, action, id);

-- Deleted leads, for sync clients (GET /api/v1/leads/deleted), kept 30 days.
CREATE TABLE deleted_leads (
    lead_id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    deleted_at BIGINT NOT NULL
);
CREATE INDEX deleted_leads_by_organisation ON deleted_leads (organisation_id, deleted_at, lead_id);
CREATE INDEX deleted_leads_by_age ON deleted_leads (deleted_at);
