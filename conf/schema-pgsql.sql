-- mod_invite schema for PostgreSQL (apr_dbd driver "pgsql").
--
--   psql -d invite -f schema-pgsql.sql
-- Same tables and meaning as schema-sqlite3.sql.  Ids are Rocket.Chat's
-- string ids; times are epoch milliseconds (bigint), UTC.

CREATE TABLE IF NOT EXISTS users (
    id        text NOT NULL PRIMARY KEY,
    username  text
);

CREATE TABLE IF NOT EXISTS user_roles (
    user_id  text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role     text NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE IF NOT EXISTS login_tokens (
    user_id       text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hashed_token  text NOT NULL,
    created_at    bigint,
    PRIMARY KEY (user_id, hashed_token)
);

CREATE TABLE IF NOT EXISTS rooms (
    id     text NOT NULL PRIMARY KEY,
    t      text NOT NULL,
    name   text,
    fname  text,
    prid   text
);

CREATE TABLE IF NOT EXISTS subscriptions (
    user_id  text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rid      text NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    -- Rocket.Chat's subscription status: 'BANNED' for a banned member
    -- (Rocket.Chat 8.4 and later refuse them an invite), else NULL.
    status   text,
    PRIMARY KEY (user_id, rid)
);

CREATE TABLE IF NOT EXISTS subscription_roles (
    user_id  text NOT NULL,
    rid      text NOT NULL,
    role     text NOT NULL,
    PRIMARY KEY (user_id, rid, role),
    FOREIGN KEY (user_id, rid) REFERENCES subscriptions (user_id, rid)
        ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS permission_roles (
    permission  text NOT NULL,
    role        text NOT NULL,
    PRIMARY KEY (permission, role)
);

CREATE TABLE IF NOT EXISTS invites (
    id          text NOT NULL PRIMARY KEY,
    days        integer NOT NULL,
    max_uses    integer NOT NULL,
    rid         text NOT NULL,
    user_id     text NOT NULL,
    created_at  bigint NOT NULL,
    expires     bigint,
    uses        integer NOT NULL DEFAULT 0,
    updated_at  bigint NOT NULL,
    slot        smallint CHECK (slot = 1)
);
CREATE UNIQUE INDEX IF NOT EXISTS invites_by_creator_settings
    ON invites (user_id, rid, days, max_uses, slot);
-- The find lookup: the oldest live invite of a creator and settings, read
-- in (created_at, id) order, so no statement sorts.
CREATE INDEX IF NOT EXISTS invites_live_lookup
    ON invites (user_id, rid, days, max_uses, created_at, id);
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
    key         text NOT NULL PRIMARY KEY,
    value       text,
    updated_at  bigint NOT NULL                -- epoch ms
);
CREATE TABLE IF NOT EXISTS sync_lease (
    name        text NOT NULL PRIMARY KEY,      -- 'invite-sync'
    owner       text NOT NULL,                  -- host:pid
    expires_at  bigint NOT NULL                -- epoch ms
);
CREATE TABLE IF NOT EXISTS sync_subscription_ids (
    sub_id   text NOT NULL PRIMARY KEY,         -- rocketchat_subscription._id
    user_id  text NOT NULL,
    rid      text NOT NULL
);
CREATE TABLE IF NOT EXISTS join_outbox (
    user_id          text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rid              text NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    created_at       bigint NOT NULL,          -- epoch ms
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  bigint NOT NULL,          -- epoch ms
    last_error       text,
    PRIMARY KEY (user_id, rid)
);

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
    version     integer NOT NULL PRIMARY KEY,
    applied_at  bigint NOT NULL                  -- epoch ms
);
INSERT INTO schema_version (version, applied_at)
    VALUES (5, (extract(epoch FROM now()) * 1000)::bigint)
ON CONFLICT DO NOTHING;
