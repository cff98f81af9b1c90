-- PostgreSQL's folder adds a B-tree for e-mail searches here; SQLite's FTS5
-- trigram table (…_lead_search.sql) already answers them from its index.
SELECT 1;
