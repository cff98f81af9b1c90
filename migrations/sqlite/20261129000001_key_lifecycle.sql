-- Key lifecycle: rolls with a grace period, leak reports, IP allowlists,
-- checksummed keys, and each organisation's key policy.

-- revoked_at may now lie in the future: a key rolled with a grace period is
-- scheduled for revocation then. Why a key was revoked, when it was not a
-- person: 'rolled' or 'leaked'.
ALTER TABLE api_keys ADD COLUMN revoked_reason TEXT;
-- The key this one replaced when it was rolled (its prefix).
ALTER TABLE api_keys ADD COLUMN rolled_from TEXT;
-- Addresses and CIDR ranges the key may be used from, one per line; empty
-- for anywhere.
ALTER TABLE api_keys ADD COLUMN allowed_ips TEXT NOT NULL DEFAULT '';
-- Keys made before the checksum existed keep working: they are the rows
-- this migration finds, and no new row is ever made without it.
ALTER TABLE api_keys ADD COLUMN checksummed BOOLEAN NOT NULL DEFAULT FALSE;

-- Enforced on new keys and rolls only; existing keys keep their expiry.
ALTER TABLE organisations ADD COLUMN key_max_lifetime_days INTEGER;
ALTER TABLE organisations ADD COLUMN key_expiry_required BOOLEAN NOT NULL DEFAULT FALSE;
