-- Schema version 2 (SQLite): every table WITHOUT ROWID, so that a lookup
-- by primary key is one B-tree descent instead of two (conf/schema-
-- sqlite3.sql).  Each table is rebuilt as SQLite's documented procedure
-- for a change ALTER TABLE cannot make: a new table, the rows copied,
-- the old one dropped, the new one renamed; the indexes of invites made
-- again.  The rows, their keys and every reference stay as they were.
--
-- Foreign keys off first (a PRAGMA before the first statement runs
-- outside the migration's transaction): with them on, dropping users
-- would delete every row that references it.
PRAGMA foreign_keys = OFF;

CREATE TABLE invite_v2_users (
    id        TEXT NOT NULL PRIMARY KEY,        -- users._id
    username  TEXT
) WITHOUT ROWID;
INSERT INTO invite_v2_users SELECT * FROM users;
DROP TABLE users;
ALTER TABLE invite_v2_users RENAME TO users;

CREATE TABLE invite_v2_user_roles (
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role     TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
) WITHOUT ROWID;
INSERT INTO invite_v2_user_roles SELECT * FROM user_roles;
DROP TABLE user_roles;
ALTER TABLE invite_v2_user_roles RENAME TO user_roles;

CREATE TABLE invite_v2_login_tokens (
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hashed_token  TEXT NOT NULL,
    created_at    INTEGER,                       -- "when", epoch ms
    PRIMARY KEY (user_id, hashed_token)
) WITHOUT ROWID;
INSERT INTO invite_v2_login_tokens SELECT * FROM login_tokens;
DROP TABLE login_tokens;
ALTER TABLE invite_v2_login_tokens RENAME TO login_tokens;

CREATE TABLE invite_v2_rooms (
    id     TEXT NOT NULL PRIMARY KEY,
    t      TEXT NOT NULL,
    name   TEXT,
    fname  TEXT,
    prid   TEXT
) WITHOUT ROWID;
INSERT INTO invite_v2_rooms SELECT * FROM rooms;
DROP TABLE rooms;
ALTER TABLE invite_v2_rooms RENAME TO rooms;

CREATE TABLE invite_v2_subscriptions (
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rid      TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, rid)
) WITHOUT ROWID;
INSERT INTO invite_v2_subscriptions SELECT * FROM subscriptions;
DROP TABLE subscriptions;
ALTER TABLE invite_v2_subscriptions RENAME TO subscriptions;

CREATE TABLE invite_v2_subscription_roles (
    user_id  TEXT NOT NULL,
    rid      TEXT NOT NULL,
    role     TEXT NOT NULL,
    PRIMARY KEY (user_id, rid, role),
    FOREIGN KEY (user_id, rid) REFERENCES subscriptions (user_id, rid)
        ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO invite_v2_subscription_roles SELECT * FROM subscription_roles;
DROP TABLE subscription_roles;
ALTER TABLE invite_v2_subscription_roles RENAME TO subscription_roles;

CREATE TABLE invite_v2_permission_roles (
    permission  TEXT NOT NULL,
    role        TEXT NOT NULL,
    PRIMARY KEY (permission, role)
) WITHOUT ROWID;
INSERT INTO invite_v2_permission_roles SELECT * FROM permission_roles;
DROP TABLE permission_roles;
ALTER TABLE invite_v2_permission_roles RENAME TO permission_roles;

CREATE TABLE invite_v2_invites (
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
INSERT INTO invite_v2_invites SELECT * FROM invites;
DROP TABLE invites;
ALTER TABLE invite_v2_invites RENAME TO invites;

CREATE TABLE invite_v2_schema_version (
    version     INTEGER NOT NULL PRIMARY KEY,
    applied_at  INTEGER NOT NULL                 -- epoch ms
) WITHOUT ROWID;
INSERT INTO invite_v2_schema_version SELECT * FROM schema_version;
DROP TABLE schema_version;
ALTER TABLE invite_v2_schema_version RENAME TO schema_version;

-- DROP TABLE invites took its indexes with it.
CREATE UNIQUE INDEX IF NOT EXISTS invites_by_creator_settings
    ON invites (user_id, rid, days, max_uses, slot);
CREATE INDEX IF NOT EXISTS invites_live_lookup
    ON invites (user_id, rid, days, max_uses, created_at, id);

-- The statistics of the old tables went with them.
ANALYZE;
