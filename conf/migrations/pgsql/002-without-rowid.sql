-- Schema version 2.  Only SQLite's tables changed (WITHOUT ROWID, see
-- conf/migrations/sqlite3/002-without-rowid.sql): PostgreSQL keeps its
-- rows in heap tables either way, so this step only records the version.
SELECT 1;
