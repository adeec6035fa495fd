-- mod_invite schema for SQLite (apr_dbd driver "sqlite3").
--
-- Create it before the site serves (until then every request gets a JSON
-- 503 and the error log says what to run):
--   sqlite3 /var/lib/mod-invite/invite.db < schema-sqlite3.sql
-- Ids are Rocket.Chat's string ids; times are epoch milliseconds, UTC.
-- The PostgreSQL twin is schema-pgsql.sql: same tables, same meaning.

PRAGMA journal_mode = WAL;   -- persistent: readers never wait for a writer

-- Every table is WITHOUT ROWID (schema version 2): its rows live in the
-- B-tree of its primary key, so a lookup by key is one tree descent, not
-- an index descent and then a table descent.  The find statement touches
-- about a quarter fewer pages (docs/performance.md).  Lookups still name
-- the key's index (INDEXED BY sqlite_autoindex_<table>_1), which SQLite
-- resolves to the primary key.

CREATE TABLE IF NOT EXISTS users (
    id        TEXT NOT NULL PRIMARY KEY,        -- users._id
    username  TEXT
) WITHOUT ROWID;

-- Global roles (users.roles): admin, user, bot, ...
CREATE TABLE IF NOT EXISTS user_roles (
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role     TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
) WITHOUT ROWID;

-- services.resume.loginTokens[].hashedToken and personal access tokens:
-- base64(SHA-256(token)), exactly as Rocket.Chat stores them.
CREATE TABLE IF NOT EXISTS login_tokens (
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hashed_token  TEXT NOT NULL,
    created_at    INTEGER,                       -- "when", epoch ms
    PRIMARY KEY (user_id, hashed_token)
) WITHOUT ROWID;

-- rocketchat_room: t is c (public), p (private), d (direct), l (livechat)
CREATE TABLE IF NOT EXISTS rooms (
    id     TEXT NOT NULL PRIMARY KEY,
    t      TEXT NOT NULL,
    name   TEXT,
    fname  TEXT,
    prid   TEXT
) WITHOUT ROWID;

-- rocketchat_subscription: the user is a member of the room.
CREATE TABLE IF NOT EXISTS subscriptions (
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rid      TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    -- Rocket.Chat's subscription status: 'BANNED' for a banned member
    -- (Rocket.Chat 8.4 and later refuse them an invite), else NULL.
    status   TEXT,
    PRIMARY KEY (user_id, rid)
) WITHOUT ROWID;

-- Room-scoped roles (subscription.roles): owner, moderator, leader.
CREATE TABLE IF NOT EXISTS subscription_roles (
    user_id  TEXT NOT NULL,
    rid      TEXT NOT NULL,
    role     TEXT NOT NULL,
    PRIMARY KEY (user_id, rid, role),
    FOREIGN KEY (user_id, rid) REFERENCES subscriptions (user_id, rid)
        ON DELETE CASCADE
) WITHOUT ROWID;

-- rocketchat_permissions: which roles hold a permission.
CREATE TABLE IF NOT EXISTS permission_roles (
    permission  TEXT NOT NULL,
    role        TEXT NOT NULL,
    PRIMARY KEY (permission, role)
) WITHOUT ROWID;

-- rocketchat_invites.  slot = 1 marks the one invite per creator and
-- settings that new invites must not duplicate (see src/invite_sql.c);
-- NULL once it expired or was used up.
CREATE TABLE IF NOT EXISTS invites (
    id          TEXT NOT NULL PRIMARY KEY,       -- _id, also the token
    days        INTEGER NOT NULL,
    max_uses    INTEGER NOT NULL,
    rid         TEXT NOT NULL,
    user_id     TEXT NOT NULL,                   -- creator
    created_at  INTEGER NOT NULL,
    expires     INTEGER,                         -- NULL: never
    uses        INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL,
    slot        INTEGER CHECK (slot = 1)
) WITHOUT ROWID;
-- Serves the find lookup (creator, room, settings) and makes the slot
-- unique; NULL slots never conflict.
CREATE UNIQUE INDEX IF NOT EXISTS invites_by_creator_settings
    ON invites (user_id, rid, days, max_uses, slot);
-- The find lookup: the oldest live invite of a creator and settings, read
-- in (created_at, id) order, so no statement sorts.  After its key it
-- holds the rest of a find answer (schema version 3), so that the live
-- test and the answer need no descent into the table.
CREATE INDEX IF NOT EXISTS invites_live_lookup
    ON invites (user_id, rid, days, max_uses, created_at, id,
                expires, uses, updated_at);
-- No index on created_at for listInvites (it reads the whole table and
-- sorts it): with one, PostgreSQL can plan the find lookup's ORDER BY
-- created_at, id LIMIT 1 as a walk of that index, a scan in disguise.
-- Every lookup names creator and settings; an index on rid alone was a
-- candidate a plan made on a small table could pick instead.
DROP INDEX IF EXISTS invites_by_room;

-- What follows a live Rocket.Chat needs (invite-sync, docs/rocketchat.md):
--  * sync_state: invite-sync's progress, one row per key (source,
--    resume_token, last_event_at, last_ok_at, last_full_copy_at), written
--    in the same transaction as the rows it covers.
--  * sync_lease: one writer at a time; a second invite-sync waits until
--    the lease it finds has expired.
--  * sync_subscription_ids: Rocket.Chat's subscription _id for each
--    (user_id, rid), because a subscription's delete event carries only
--    its _id.
--  * join_outbox: a useInviteToken join Rocket.Chat has yet to learn,
--    written in the join's transaction; invite-sync delivers it through
--    Rocket.Chat's REST API and deletes it once delivered.
CREATE TABLE IF NOT EXISTS sync_state (
    key         TEXT NOT NULL PRIMARY KEY,
    value       TEXT,
    updated_at  INTEGER NOT NULL                -- epoch ms
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sync_lease (
    name        TEXT NOT NULL PRIMARY KEY,      -- 'invite-sync'
    owner       TEXT NOT NULL,                  -- host:pid
    expires_at  INTEGER NOT NULL                -- epoch ms
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sync_subscription_ids (
    sub_id   TEXT NOT NULL PRIMARY KEY,         -- rocketchat_subscription._id
    user_id  TEXT NOT NULL,
    rid      TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS join_outbox (
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rid              TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    created_at       INTEGER NOT NULL,          -- epoch ms
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,          -- epoch ms
    last_error       TEXT,
    PRIMARY KEY (user_id, rid)
) WITHOUT ROWID;

INSERT INTO permission_roles (permission, role) VALUES
    ('create-invite-links', 'admin'),
    ('create-invite-links', 'owner'),
    ('create-invite-links', 'moderator'),
    ('api-bypass-rate-limit', 'admin'),
    ('api-bypass-rate-limit', 'bot'),
    ('api-bypass-rate-limit', 'app'),
    ('bulk-register-user', 'admin')
ON CONFLICT DO NOTHING;

-- The schema's version: one row per step applied.  This file is the newest
-- schema and records its own version; conf/migrations/ bring databases
-- made by older files up to it (invitectl migrate).  The
-- module reads the highest when it first uses a connection and answers
-- 503 unless it is the version it was built for (INVITE_SCHEMA_VERSION).
CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER NOT NULL PRIMARY KEY,
    applied_at  INTEGER NOT NULL                 -- epoch ms
) WITHOUT ROWID;
INSERT INTO schema_version (version, applied_at)
    VALUES (5, CAST(strftime('%s', 'now') AS INTEGER) * 1000)
ON CONFLICT DO NOTHING;
