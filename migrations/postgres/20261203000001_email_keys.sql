-- Searching for an e-mail address, or its part around the "@", from a
-- B-tree on both backends (the SQLite folder says why). The keys replace
-- the expression index of …_email_search.sql, so that both backends read
-- the same columns. "C": compared byte by byte, as SQLite does, so that a
-- range of the index is a prefix. NULL: not filled yet
-- (leads::service::fill_email_keys).
ALTER TABLE leads ADD COLUMN email_local_key TEXT COLLATE "C";
ALTER TABLE leads ADD COLUMN email_domain_key TEXT COLLATE "C";
CREATE INDEX leads_email_local_key ON leads (organisation_id, email_local_key);
-- The rows the start-up fill has left to do: empty once done, so that each
-- start finds that out without reading every lead.
CREATE INDEX leads_email_keys_unfilled ON leads (id) WHERE email_local_key IS NULL;
DROP INDEX leads_search_email_local;
