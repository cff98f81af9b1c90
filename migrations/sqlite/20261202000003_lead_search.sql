-- Search by any part of a lead's name, email or company, in any case and
-- with or without accents, from an index: a trigram FTS5 table over the
-- leads (external content, kept in step by triggers). Queries of three
-- characters or more use it (src/leads/data.rs).
CREATE VIRTUAL TABLE leads_search USING fts5(
    name, email, company,
    content = 'leads', content_rowid = 'id',
    tokenize = 'trigram remove_diacritics 1'
);
INSERT INTO leads_search (leads_search) VALUES ('rebuild');

CREATE TRIGGER leads_search_insert AFTER INSERT ON leads BEGIN
    INSERT INTO leads_search (rowid, name, email, company)
    VALUES (new.id, new.name, new.email, new.company);
END;

CREATE TRIGGER leads_search_delete AFTER DELETE ON leads BEGIN
    INSERT INTO leads_search (leads_search, rowid, name, email, company)
    VALUES ('delete', old.id, old.name, old.email, old.company);
END;

CREATE TRIGGER leads_search_update AFTER UPDATE OF name, email, company ON leads BEGIN
    INSERT INTO leads_search (leads_search, rowid, name, email, company)
    VALUES ('delete', old.id, old.name, old.email, old.company);
    INSERT INTO leads_search (rowid, name, email, company)
    VALUES (new.id, new.name, new.email, new.company);
END;
