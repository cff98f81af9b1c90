-- Who acted, when it is not the account's owner or an anonymous client:
-- the platform admin's email, or "Operator (CLI)". Empty for entries
-- written before this column.
ALTER TABLE security_events ADD COLUMN actor TEXT NOT NULL DEFAULT '';
