-- Schema version 3 (SQLite): index invites_live_lookup holds, after its
-- key, the rest of a find answer (expires, uses, updated_at), so that the
-- find reads the live invite from the index alone: no descent into the
-- table for the live test of each candidate, nor for the answer
-- (conf/schema-sqlite3.sql, docs/performance.md).
DROP INDEX invites_live_lookup;
CREATE INDEX invites_live_lookup
    ON invites (user_id, rid, days, max_uses, created_at, id,
                expires, uses, updated_at);
ANALYZE invites;
