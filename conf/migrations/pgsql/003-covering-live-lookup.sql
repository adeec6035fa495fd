-- Schema version 3.  Only SQLite's index changed (see
-- conf/migrations/sqlite3/003-covering-live-lookup.sql): on PostgreSQL
-- the extra columns would make every counted use update the index (no
-- HOT update), so this step only records the version.
SELECT 1;
