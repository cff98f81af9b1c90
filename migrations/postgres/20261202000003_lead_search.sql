-- Search by any part of a lead's name, email or company, in any case and
-- with or without accents, from an index: trigram GIN indexes (pg_trgm)
-- over the folded columns. Both extensions are trusted: the database's
-- owner may create them.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

-- Lower case without accents; IMMUTABLE (unaccent with its dictionary
-- named), so that indexes can be built on it.
CREATE FUNCTION leadline_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$;

CREATE INDEX leads_search_name ON leads USING gin (leadline_fold(name) gin_trgm_ops);
CREATE INDEX leads_search_email ON leads USING gin (leadline_fold(email) gin_trgm_ops);
CREATE INDEX leads_search_company ON leads USING gin (leadline_fold(company) gin_trgm_ops);
