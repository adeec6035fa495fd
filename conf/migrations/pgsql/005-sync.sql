-- Schema version 5: what follows a live Rocket.Chat needs (invite-sync,
-- docs/rocketchat.md).  Invites and the tables the module reads are
-- unchanged.
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
