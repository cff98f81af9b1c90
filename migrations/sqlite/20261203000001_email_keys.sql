-- Searching for an e-mail address, or its part around the "@", from a
-- B-tree on both backends: every trigram of "lead500007@" can be in most
-- rows (one lead's address among a million like it), and a trigram index
-- then reads long lists. An address's local part ends with the text before
-- the "@", so its reversed local part starts with that text reversed: a
-- range read. The server fills both keys, folded (lower case, no accents),
-- when it writes a lead, and fills rows written before this migration when
-- it starts (leads::service::fill_email_keys). NULL: not filled yet.
ALTER TABLE leads ADD COLUMN email_local_key TEXT;
ALTER TABLE leads ADD COLUMN email_domain_key TEXT;
CREATE INDEX leads_email_local_key ON leads (organisation_id, email_local_key);
-- The rows the start-up fill has left to do: empty once done, so that each
-- start finds that out without reading every lead.
CREATE INDEX leads_email_keys_unfilled ON leads (id) WHERE email_local_key IS NULL;

-- Names and companies get a trigram table of their own, and e-mails another:
-- a search for "lead500007@" then reads the names' short lists only, where
-- one table for all three read the e-mails' long ones too.
DROP TRIGGER leads_search_insert;
DROP TRIGGER leads_search_delete;
DROP TRIGGER leads_search_update;
DROP TABLE leads_search;

CREATE VIRTUAL TABLE leads_search USING fts5(
    name, company,
    content = 'leads', content_rowid = 'id',
    tokenize = 'trigram remove_diacritics 1'
);
INSERT INTO leads_search (leads_search) VALUES ('rebuild');

CREATE VIRTUAL TABLE leads_search_email USING fts5(
    email,
    content = 'leads', content_rowid = 'id',
    tokenize = 'trigram remove_diacritics 1'
);
INSERT INTO leads_search_email (leads_search_email) VALUES ('rebuild');

CREATE TRIGGER leads_search_insert AFTER INSERT ON leads BEGIN
    INSERT INTO leads_search (rowid, name, company) VALUES (new.id, new.name, new.company);
    INSERT INTO leads_search_email (rowid, email) VALUES (new.id, new.email);
END;

CREATE TRIGGER leads_search_delete AFTER DELETE ON leads BEGIN
    INSERT INTO leads_search (leads_search, rowid, name, company)
    VALUES ('delete', old.id, old.name, old.company);
    INSERT INTO leads_search_email (leads_search_email, rowid, email)
    VALUES ('delete', old.id, old.email);
END;

CREATE TRIGGER leads_search_update AFTER UPDATE OF name, company ON leads BEGIN
    INSERT INTO leads_search (leads_search, rowid, name, company)
    VALUES ('delete', old.id, old.name, old.company);
    INSERT INTO leads_search (rowid, name, company) VALUES (new.id, new.name, new.company);
END;

CREATE TRIGGER leads_search_email_update AFTER UPDATE OF email ON leads BEGIN
    INSERT INTO leads_search_email (leads_search_email, rowid, email)
    VALUES ('delete', old.id, old.email);
    INSERT INTO leads_search_email (rowid, email) VALUES (new.id, new.email);
END;
