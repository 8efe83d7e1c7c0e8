-- The warehouse layout. Every statement is idempotent: it runs at the start of each connection that writes.
CREATE SCHEMA IF NOT EXISTS raw;    -- what Amazon sent, as received (minus buyer PII, which goes to pii)
CREATE SCHEMA IF NOT EXISTS core;   -- canonical, typed, one row per business key
CREATE SCHEMA IF NOT EXISTS marts;  -- analyst views
CREATE SCHEMA IF NOT EXISTS ops;    -- sync state, id maps, dead letters, quarantine, run history
CREATE SCHEMA IF NOT EXISTS pii;    -- the one restricted place for buyer name, email and address
