/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_sql.c - every SQL statement mod_invite runs, in one place: one set
 * per engine, sharing labels, arguments and result columns.
 *
 * Data model (conf/schema-*.sql): users, login_tokens (hashed as
 * Rocket.Chat stores them), user_roles (global roles), rooms,
 * subscriptions and subscription_roles (room-scoped roles such as owner),
 * permission_roles, and invites.  Times are epoch milliseconds (UTC).
 *
 * Find-or-create is atomic through invites.slot: the unique index on
 * (user_id, rid, days, max_uses, slot) lets at most one invite per creator
 * and settings hold slot = 1.  A new invite is inserted holding the slot
 * (ON CONFLICT DO NOTHING), after the slot of an expired or used-up holder
 * has been released.  Concurrent creators therefore meet in the database's
 * unique index - across threads, processes and hosts - and the loser reads
 * the winner's invite.
 *
 * Speed (docs/performance.md): the find statement is a row of independent
 * scalar subqueries, each one index lookup, so neither engine joins the
 * user's token rows against the rest; the tokens come back as one
 * space-separated column for the constant-time comparison in C.
 *
 * Patched by bench/lookups.patch and three-lookups.patch (bench/no-sql.sh,
 * checked by make bench-smoke): they add a statement before the SQLite
 * set and to both sets; a change there may need them made again.
 */
#include <string.h>

#include "invite_sql.h"

/* The live-invite predicate of Invites.findOneByUserRoomMaxUsesAndExpiration */
#define LIVE(a, now) \
    "(" a "days = 0 OR " a "expires > " now ")" \
    " AND (" a "max_uses = 0 OR " a "uses < " a "max_uses)"

#define INVITE_COLUMNS(a) \
    a "id, " a "days, " a "max_uses, " a "rid, " a "user_id, " \
    a "created_at, " a "expires, " a "uses, " a "updated_at"

/* The oldest live invite of a creator and settings, as Rocket.Chat's
 * findOneByUserRoomMaxUsesAndExpiration returns it, read in the order of
 * index invites_live_lookup (no sort).
 * Args: user id, rid, days, max_uses, now. */
#define LIVE_INVITE_SQL(columns, invites) \
    "SELECT " columns " FROM " invites \
    " WHERE user_id = %s AND rid = %s AND days = %d AND max_uses = %d" \
    "   AND " LIVE("", "%lld") \
    " ORDER BY created_at, id LIMIT 1"

/* SQLite plans each statement once per connection (mod_invite prepares
 * them on the connection's first use), from the statistics of that
 * moment: planned on a small, ANALYZEd invites table it would scan the
 * table for good.  The lookups therefore name their index (PostgreSQL:
 * see INVITE_STMT_SESSION). */
#define SQLITE_INVITES "invites INDEXED BY invites_by_creator_settings"
#define SQLITE_LIVE_INVITES "invites INDEXED BY invites_live_lookup"
/* The live invite read back from invites_live_lookup, which holds every
 * column of the answer (schema version 3). */
#define SQLITE_INVITE_BY_KEY "invites AS live_invite" \
    " INDEXED BY invites_live_lookup"

/* Permission through a role: the role rows of the caller drive, each
 * checked by a primary-key lookup in permission_roles. */
#define GRANTS_PERMISSION(permission, roles) \
    "EXISTS (SELECT 1 FROM permission_roles pr" \
    "  WHERE pr.permission = '" permission "' AND pr.role = " roles ")"
#define GRANTS(roles) GRANTS_PERMISSION("create-invite-links", roles)

/* 1 when the user's global roles hold `permission`, else 0.  Arg: user id. */
#define HOLDS_GLOBALLY(permission) \
    " CASE WHEN EXISTS (SELECT 1 FROM user_roles ur" \
    "     WHERE ur.user_id = %s AND " \
    GRANTS_PERMISSION(permission, "ur.role") ") THEN 1 ELSE 0 END"

/* The user's login-token hashes as one column, those created before the
 * cutoff (InviteLoginExpiration) left out; a token without created_at
 * never expires.  Args: user id, cutoff (epoch ms). */
#define TOKEN_LIST(token_list) \
    " (SELECT " token_list " WHERE user_id = %s" \
    "   AND (created_at IS NULL OR created_at >= %lld))"

/* Each engine's string aggregate of the hashes, over login_tokens.  SQLite
 * would scan a tiny ANALYZEd login_tokens for the created_at filter, so
 * it names the primary key's index, which serves user_id. */
#define SQLITE_TOKENS "group_concat(hashed_token, ' ') FROM login_tokens" \
    " INDEXED BY sqlite_autoindex_login_tokens_1"
#define PGSQL_TOKENS "string_agg(hashed_token, ' ') FROM login_tokens"

/* The live invite joined to invite_find's row, as each engine runs it
 * fastest.  SQLite: a scalar subquery finds the key of the oldest live
 * entry in invites_live_lookup and the join reads that entry back (a
 * derived table would be materialised); the index holds every column the
 * live test and the answer need, so neither descends into the table
 * (invite_find alone 13.1 -> 11.3 us, docs/performance.md).  PostgreSQL:
 * a derived table (one index scan less). */
#define LIVE_KEY(a) \
    a "user_id, " a "rid, " a "days, " a "max_uses, " a "created_at, " a "id"
#define JOIN_BY_KEY(invite_by_key, invites) \
    " LEFT JOIN " invite_by_key \
    "  ON (" LIVE_KEY("live_invite.") ")" \
    "   = (" LIVE_INVITE_SQL(LIVE_KEY(""), invites) ")"
#define JOIN_DERIVED(invites) \
    " LEFT JOIN (" LIVE_INVITE_SQL(INVITE_COLUMNS(""), invites) ")" \
    "  AS live_invite ON 1 = 1"

/* The whole find path in one statement and one row.  `token_list` is the
 * engine's string aggregate of hashed_token with a ' ' separator, FROM
 * login_tokens (SQLITE_TOKENS, PGSQL_TOKENS).
 * Args: user id, cutoff (tokens); user id (global roles); user id, rid (room
 * roles); user id, rid (subscription); rid (room); user id (rate-limit
 * bypass); user id, rid, days, max_uses, now (live invite). */
#define FIND_SQL(token_list, live_invite_join) \
    "SELECT" TOKEN_LIST(token_list) "," \
    " CASE WHEN EXISTS (SELECT 1 FROM user_roles ur" \
    "     WHERE ur.user_id = %s AND " GRANTS("ur.role") ")" \
    "   OR EXISTS (SELECT 1 FROM subscription_roles sr" \
    "     WHERE sr.user_id = %s AND sr.rid = %s AND " GRANTS("sr.role") ")" \
    "   THEN 1 ELSE 0 END," \
    " CASE WHEN EXISTS (SELECT 1 FROM subscriptions" \
    "     WHERE user_id = %s AND rid = %s) THEN 1 ELSE 0 END," \
    " (SELECT t FROM rooms WHERE id = %s)," \
    HOLDS_GLOBALLY("api-bypass-rate-limit") "," \
    " " INVITE_COLUMNS("live_invite.") \
    " FROM (SELECT 1 AS one) AS one_row" live_invite_join

/* Args: user id, rid, days, max_uses, now. */
#define RELEASE_SLOT_SQL(invites) \
    "UPDATE " invites " SET slot = NULL" \
    " WHERE user_id = %s AND rid = %s AND days = %d AND max_uses = %d" \
    "   AND slot = 1 AND NOT (" LIVE("", "%lld") ")"

#define INSERT_COLUMNS \
    "INSERT INTO invites (id, days, max_uses, rid, user_id, created_at," \
    " expires, uses, updated_at, slot)"
/* Args: id, days, max_uses, rid, user id, created_at, expires (NULL for
 * never), updated_at. */
#define INSERT_VALUES "%s, %d, %d, %s, %s, %lld, %lld, 0, %lld, 1"

/* Args: now, user id, rid, days, max_uses.  Last column: 1 if live. */
#define SLOT_HOLDER_SQL(invites) \
    "SELECT " INVITE_COLUMNS("") "," \
    " CASE WHEN " LIVE("", "%lld") " THEN 1 ELSE 0 END" \
    " FROM " invites \
    " WHERE user_id = %s AND rid = %s AND days = %d AND max_uses = %d" \
    "   AND slot = 1"

/* Authentication and the global grants of listInvites and removeInvite.
 * Args: user id, cutoff (tokens), user id x2. */
#define AUTH_SQL(token_list, permission) \
    "SELECT" TOKEN_LIST(token_list) "," \
    HOLDS_GLOBALLY(permission) "," \
    HOLDS_GLOBALLY("api-bypass-rate-limit")

/* The debug log's reason for a failed authentication (never run
 * otherwise): whether the user exists, and every login token of theirs
 * with its created_at, expired or not; the caller compares the hashes in
 * C, as for a login.  Args: user id x2. */
#define AUTH_FAILURE_SQL(users, tokens) \
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM " users " WHERE u.id = %s)" \
    "   THEN 1 ELSE 0 END, lt.hashed_token, lt.created_at" \
    " FROM (SELECT 1 AS one) AS one_row" \
    " LEFT JOIN " tokens " ON lt.user_id = %s"

/* listInvites: every invite, in creation order (Rocket.Chat's e2e test
 * reads the first element as the oldest).  The whole table by design,
 * sorted: an index on created_at would tempt the find lookup's plan
 * (conf/schema-pgsql.sql). */
#define LIST_SQL(invites) \
    "SELECT " INVITE_COLUMNS("") " FROM " invites " ORDER BY created_at, id"

/* validateInviteToken: the invite of a token and whether its room exists;
 * expiry and uses are decided in C (invite_token_check).  Arg: token. */
#define VALIDATE_SQL(invite_by_id) \
    "SELECT i.expires, i.uses, i.max_uses," \
    " CASE WHEN EXISTS (SELECT 1 FROM rooms r WHERE r.id = i.rid)" \
    "   THEN 1 ELSE 0 END" \
    " FROM " invite_by_id " WHERE i.id = %s"

/* useInviteToken's facts in one row.  Args: user id, cutoff (tokens),
 * user id (bypass), user id (username), user id (subscription), token. */
#define USE_FACTS_SQL(token_list, invite_by_id, room_by_id) \
    "SELECT" TOKEN_LIST(token_list) "," \
    HOLDS_GLOBALLY("api-bypass-rate-limit") "," \
    " (SELECT CASE WHEN u.username <> '' THEN 1 ELSE 0 END" \
    "    FROM users u WHERE u.id = %s)," \
    " COALESCE((SELECT CASE WHEN s.status = 'BANNED' THEN 2 ELSE 1 END" \
    "     FROM subscriptions s WHERE s.user_id = %s AND s.rid = i.rid), 0)," \
    " i.id, i.rid, i.expires, i.uses, i.max_uses," \
    " r.id, r.t, r.name, r.fname, r.prid" \
    " FROM (SELECT 1 AS one) AS one_row" \
    " LEFT JOIN " invite_by_id " ON i.id = %s" \
    " LEFT JOIN " room_by_id " ON r.id = i.rid"

/* Room types whose members may be invited (allowMemberAction 'invite'). */
#define INVITE_ROOM_TYPES "('c', 'p', 'l')"
#define HAS_USERNAME(user) \
    "EXISTS (SELECT 1 FROM users u WHERE u.id = " user \
    " AND u.username <> '')"
#define NOT_MEMBER(user, rid) \
    "NOT EXISTS (SELECT 1 FROM subscriptions s" \
    "  WHERE s.user_id = " user " AND s.rid = " rid ")"

/* The schema version of the database (conf/schema-*.sql); compared with
 * INVITE_SCHEMA_VERSION on a connection's first use. */
#define SCHEMA_VERSION_SQL "SELECT max(version) FROM schema_version"

/* A join Rocket.Chat has yet to learn (schema version 5): invite-sync
 * delivers it and deletes the row.  Written in the join's transaction;
 * a row already there (a join not yet delivered) stays as it is. */
#define OUTBOX_INSERT \
    "INSERT INTO join_outbox (user_id, rid, created_at, attempts," \
    " next_attempt_at)"

/* The server-status page's view of invite-sync: its last heartbeat and
 * the joins waiting for delivery (a count over join_outbox, which
 * invite-sync keeps near empty).  No args. */
#define SYNC_STATUS_SQL \
    "SELECT (SELECT value FROM sync_state WHERE key = 'last_ok_at')," \
    " (SELECT updated_at FROM sync_state WHERE key = 'last_ok_at')," \
    " (SELECT count(*) FROM join_outbox)"

/* SQLite invite lookups by id, through the primary key's index. */
#define SQLITE_INVITE_I "invites AS i INDEXED BY sqlite_autoindex_invites_1"

static const invite_stmt_t sqlite3_statements[INVITE_STMT_COUNT] = {
    [INVITE_STMT_FIND] = { "invite_find",
        FIND_SQL(SQLITE_TOKENS,
                 JOIN_BY_KEY(SQLITE_INVITE_BY_KEY, SQLITE_LIVE_INVITES)) },
    [INVITE_STMT_FIND_INVITE] = { "invite_find_invite",
        LIVE_INVITE_SQL(INVITE_COLUMNS(""), SQLITE_LIVE_INVITES) },
    [INVITE_STMT_RELEASE_SLOT] = { "invite_release_slot",
        RELEASE_SLOT_SQL(SQLITE_INVITES) },
    /* Args: those of INSERT_VALUES.  Affects no row when the slot is taken (or,
     * rarely, the id exists): the caller then reads the slot holder. */
    [INVITE_STMT_CREATE] = { "invite_create",
        INSERT_COLUMNS " VALUES (" INSERT_VALUES ") ON CONFLICT DO NOTHING" },
    [INVITE_STMT_SLOT_HOLDER] = { "invite_slot_holder",
        SLOT_HOLDER_SQL(SQLITE_INVITES) },
    [INVITE_STMT_SESSION] = { "invite_session", NULL },
    [INVITE_STMT_AUTH] = { "invite_auth",
        AUTH_SQL(SQLITE_TOKENS, "create-invite-links") },
    [INVITE_STMT_AUTH_MAIL] = { "invite_auth_mail",
        AUTH_SQL(SQLITE_TOKENS, "bulk-register-user") },
    [INVITE_STMT_LIST] = { "invite_list",
        LIST_SQL("invites") },
    [INVITE_STMT_REMOVE] = { "invite_remove",
        "DELETE FROM invites WHERE id = %s" },
    [INVITE_STMT_VALIDATE] = { "invite_validate",
        VALIDATE_SQL(SQLITE_INVITE_I) },
    [INVITE_STMT_USE_FACTS] = { "invite_use_facts",
        USE_FACTS_SQL(SQLITE_TOKENS, SQLITE_INVITE_I,
                      "rooms AS r INDEXED BY sqlite_autoindex_rooms_1") },
    /* Runs in a transaction under the writer lock, so the conditions
     * still hold when USE_JOIN subscribes: the count decides.  Args: now
     * (updated_at), token, now (live), user id. */
    [INVITE_STMT_USE] = { "invite_use",
        "UPDATE invites SET uses = uses + 1, updated_at = %lld"
        " WHERE id = %s AND " LIVE("", "%lld")
        "   AND EXISTS (SELECT 1 FROM rooms r WHERE r.id = invites.rid"
        "     AND r.t IN " INVITE_ROOM_TYPES ")"
        "   AND " NOT_MEMBER("%s", "invites.rid") },
    /* Args: user id, token, user id. */
    [INVITE_STMT_USE_JOIN] = { "invite_use_join",
        "INSERT INTO subscriptions (user_id, rid)"
        " SELECT %s, rid FROM invites WHERE id = %s AND " HAS_USERNAME("%s")
        " ON CONFLICT DO NOTHING" },
    /* Runs after a USE_JOIN that subscribed, in its transaction
     * (InviteJoinOutbox On).  Args: user id, rid (the invite's, as
     * USE_FACTS read it: an invite's room never changes), now x2. */
    [INVITE_STMT_USE_OUTBOX] = { "invite_use_outbox",
        OUTBOX_INSERT " VALUES (%s, %s, %lld, 0, %lld)"
        " ON CONFLICT DO NOTHING" },
    [INVITE_STMT_SYNC_STATUS] = { "invite_sync_status", SYNC_STATUS_SQL },
    [INVITE_STMT_AUTH_FAILURE] = { "invite_auth_failure",
        AUTH_FAILURE_SQL("users AS u INDEXED BY sqlite_autoindex_users_1",
                         "login_tokens AS lt"
                         " INDEXED BY sqlite_autoindex_login_tokens_1") },
    [INVITE_STMT_SCHEMA_VERSION] = { "invite_schema_version",
        SCHEMA_VERSION_SQL },
};

static const invite_stmt_t pgsql_statements[INVITE_STMT_COUNT] = {
    [INVITE_STMT_FIND] = { "invite_find",
        FIND_SQL(PGSQL_TOKENS, JOIN_DERIVED("invites")) },
    [INVITE_STMT_FIND_INVITE] = { "invite_find_invite",
        LIVE_INVITE_SQL(INVITE_COLUMNS(""), "invites") },
    [INVITE_STMT_RELEASE_SLOT] = { "invite_release_slot", NULL },
    /* Release and insert in one statement, one round trip, no explicit
     * transaction.  The aggregate over `released` makes the UPDATE finish
     * before the INSERT runs; the holder's old row version, updated by
     * this same statement, no longer conflicts.  Args: those of
     * RELEASE_SLOT_SQL, then those of INSERT_VALUES. */
    [INVITE_STMT_CREATE] = { "invite_create",
        "WITH released AS (" RELEASE_SLOT_SQL("invites") " RETURNING 1) "
        INSERT_COLUMNS
        " SELECT " INSERT_VALUES
        " FROM (SELECT count(*) FROM released) AS r"
        " ON CONFLICT DO NOTHING" },
    [INVITE_STMT_SLOT_HOLDER] = { "invite_slot_holder",
        SLOT_HOLDER_SQL("invites") },
    /* Every statement here is an index lookup.  A connection caches a
     * generic plan after five executions, planned for the table sizes of
     * that moment: planned on a small invites table it would scan the
     * table for as long as the connection lives. */
    [INVITE_STMT_SESSION] = { "invite_session",
        "SELECT set_config('enable_seqscan', 'off', false)" },
    [INVITE_STMT_AUTH] = { "invite_auth",
        AUTH_SQL(PGSQL_TOKENS, "create-invite-links") },
    [INVITE_STMT_AUTH_MAIL] = { "invite_auth_mail",
        AUTH_SQL(PGSQL_TOKENS, "bulk-register-user") },
    [INVITE_STMT_LIST] = { "invite_list", LIST_SQL("invites") },
    [INVITE_STMT_REMOVE] = { "invite_remove",
        "DELETE FROM invites WHERE id = %s" },
    [INVITE_STMT_VALIDATE] = { "invite_validate",
        VALIDATE_SQL("invites AS i") },
    [INVITE_STMT_USE_FACTS] = { "invite_use_facts",
        USE_FACTS_SQL(PGSQL_TOKENS, "invites AS i",
                      "rooms AS r") },
    /* Check and count in one statement, atomic across hosts:
     * - `target` locks the invite row only while it is live; a concurrent
     *   user of the same invite waits for the lock, and READ COMMITTED
     *   then re-checks the conditions on the newest row version, so uses
     *   can never pass max_uses;
     * - `joined` subscribes the user; ON CONFLICT sees a subscription
     *   committed meanwhile, so a member (or a double submit) counts
     *   nothing;
     * - `counted` adds the use for a newcomer who joined, or for one
     *   without a username, who joins later (Rocket.Chat's setUsername);
     * - `outboxed` writes the join's join_outbox row (InviteJoinOutbox,
     *   the last argument), so that a join never commits without it.
     * Args: token, now, user id x2, now (updated_at), user id x2, now x2
     * (outbox), 1 or 0 (outbox). */
    [INVITE_STMT_USE] = { "invite_use",
        "WITH target AS ("
        "  SELECT i.id, i.rid FROM invites i JOIN rooms r ON r.id = i.rid"
        "   WHERE i.id = %s AND r.t IN " INVITE_ROOM_TYPES
        "     AND " LIVE("i.", "%lld") " FOR UPDATE OF i),"
        " joined AS ("
        "  INSERT INTO subscriptions (user_id, rid)"
        "  SELECT %s, rid FROM target WHERE " HAS_USERNAME("%s")
        "  ON CONFLICT DO NOTHING RETURNING user_id, rid),"
        " counted AS ("
        "  UPDATE invites SET uses = uses + 1, updated_at = %lld"
        "   WHERE id = (SELECT id FROM target)"
        "     AND (EXISTS (SELECT 1 FROM joined)"
        "          OR (NOT " HAS_USERNAME("%s")
        "              AND " NOT_MEMBER("%s", "invites.rid") "))"
        "  RETURNING uses),"
        " outboxed AS ("
        "  " OUTBOX_INSERT " SELECT user_id, rid, %lld, 0, %lld FROM joined"
        "   WHERE %d = 1 ON CONFLICT DO NOTHING)"
        " SELECT (SELECT count(*) FROM target), (SELECT count(*) FROM counted)" },
    [INVITE_STMT_USE_JOIN] = { "invite_use_join", NULL },
    [INVITE_STMT_USE_OUTBOX] = { "invite_use_outbox", NULL },
    [INVITE_STMT_SYNC_STATUS] = { "invite_sync_status", SYNC_STATUS_SQL },
    [INVITE_STMT_AUTH_FAILURE] = { "invite_auth_failure",
        AUTH_FAILURE_SQL("users AS u", "login_tokens AS lt") },
    [INVITE_STMT_SCHEMA_VERSION] = { "invite_schema_version",
        SCHEMA_VERSION_SQL },
};

/* ------------------------------------------------------------ invitectl */

/* Dead for good, the complement of LIVE split by cause: expired (at or
 * before `at`) and used up.  A used-up invite died at its last use, which
 * set updated_at. */
#define EXPIRED_BY(at) "(days <> 0 AND expires <= " at ")"
#define USED_UP "(max_uses <> 0 AND uses >= max_uses)"

/* Every user or room whose id (rank 0) or username / name (rank 1) is the
 * key, the id first: the caller refuses a key that names two.  Args: key
 * x2 (NULL: not that way). */
#define FIND_BY_ID_OR_NAME(table, name) \
    "SELECT id, " name ", 0 AS rank FROM " table " WHERE id = %s" \
    " UNION ALL SELECT id, " name ", 1 FROM " table " WHERE " name " = %s" \
    " ORDER BY 3"

/* No row whose id or username / name is the new id or name: neither may
 * ever be read as the other.  Args: name, id, name. */
#define ID_AND_NAME_FREE(table, name) \
    " WHERE NOT EXISTS (SELECT 1 FROM " table \
    " WHERE " name " IN (%s, %s) OR id = %s)"

/* invitectl's statements.  Every one runs unchanged on both engines (plain
 * SQL, ON CONFLICT DO NOTHING for duplicates, which then affect no row);
 * each engine still has its own table, as the module's, for the day one
 * of them needs its own form. */
#define ADMIN_STATEMENTS { \
    [INVITE_ADMIN_VERSION] = { "invitectl_version", \
        "SELECT max(version) FROM schema_version" }, \
    [INVITE_ADMIN_VERSION_RECORD] = { "invitectl_version_record", \
        "INSERT INTO schema_version (version, applied_at)" \
        " VALUES (%d, %lld)" }, \
    [INVITE_ADMIN_HAS_TABLES] = { "invitectl_has_tables", \
        "SELECT 1 FROM invites, login_tokens, users WHERE 1 = 0" }, \
    [INVITE_ADMIN_USER_FIND] = { "invitectl_user_find", \
        FIND_BY_ID_OR_NAME("users", "username") }, \
    [INVITE_ADMIN_USER_ADD] = { "invitectl_user_add", \
        "INSERT INTO users (id, username) SELECT %s, %s" \
        ID_AND_NAME_FREE("users", "username") " ON CONFLICT DO NOTHING" }, \
    [INVITE_ADMIN_USER_DEL] = { "invitectl_user_del", \
        "DELETE FROM users WHERE id = %s" }, \
    [INVITE_ADMIN_USER_ROLES] = { "invitectl_user_roles", \
        "SELECT role FROM user_roles WHERE user_id = %s ORDER BY role" }, \
    [INVITE_ADMIN_USER_ROLE_ADD] = { "invitectl_user_role_add", \
        "INSERT INTO user_roles (user_id, role) VALUES (%s, %s)" \
        " ON CONFLICT DO NOTHING" }, \
    [INVITE_ADMIN_USER_ROLE_DEL] = { "invitectl_user_role_del", \
        "DELETE FROM user_roles WHERE user_id = %s AND role = %s" }, \
    [INVITE_ADMIN_USER_SHOW] = { "invitectl_user_show", \
        "SELECT u.id, u.username, (SELECT count(*) FROM login_tokens t" \
        "  WHERE t.user_id = u.id) FROM users u WHERE u.id = %s" }, \
    /* A subscription whose room is gone (no foreign key enforced, as on \
     * SQLite without PRAGMA foreign_keys) still shows, without a name. */ \
    [INVITE_ADMIN_USER_ROOMS] = { "invitectl_user_rooms", \
        "SELECT s.rid, r.name, sr.role FROM subscriptions s" \
        " LEFT JOIN rooms r ON r.id = s.rid" \
        " LEFT JOIN subscription_roles sr" \
        "   ON sr.user_id = s.user_id AND sr.rid = s.rid" \
        " WHERE s.user_id = %s ORDER BY s.rid, sr.role" }, \
    [INVITE_ADMIN_ROOM_FIND] = { "invitectl_room_find", \
        FIND_BY_ID_OR_NAME("rooms", "name") }, \
    [INVITE_ADMIN_ROOM_ADD] = { "invitectl_room_add", \
        "INSERT INTO rooms (id, t, name, fname, prid)" \
        " SELECT %s, %s, %s, %s, %s" \
        ID_AND_NAME_FREE("rooms", "name") " ON CONFLICT DO NOTHING" }, \
    [INVITE_ADMIN_ROOM_DEL] = { "invitectl_room_del", \
        "DELETE FROM rooms WHERE id = %s" }, \
    [INVITE_ADMIN_MEMBER_ADD] = { "invitectl_member_add", \
        "INSERT INTO subscriptions (user_id, rid) VALUES (%s, %s)" \
        " ON CONFLICT DO NOTHING" }, \
    [INVITE_ADMIN_MEMBER_DEL] = { "invitectl_member_del", \
        "DELETE FROM subscriptions WHERE user_id = %s AND rid = %s" }, \
    /* A ban marks the subscription (made for it when there is none), as \
     * Rocket.Chat 8.4 does; lifting it removes that subscription, so the \
     * user may join again, through an invite among other ways. */ \
    [INVITE_ADMIN_MEMBER_BAN] = { "invitectl_member_ban", \
        "INSERT INTO subscriptions (user_id, rid, status)" \
        " VALUES (%s, %s, 'BANNED')" \
        " ON CONFLICT (user_id, rid) DO UPDATE SET status = 'BANNED'" \
        " WHERE subscriptions.status IS NULL" \
        "    OR subscriptions.status <> 'BANNED'" }, \
    [INVITE_ADMIN_MEMBER_UNBAN] = { "invitectl_member_unban", \
        "DELETE FROM subscriptions WHERE user_id = %s AND rid = %s" \
        " AND status = 'BANNED'" }, \
    [INVITE_ADMIN_MEMBER_ROLE_ADD] = { "invitectl_member_role_add", \
        "INSERT INTO subscription_roles (user_id, rid, role)" \
        " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING" }, \
    [INVITE_ADMIN_PERMISSION_GRANT] = { "invitectl_permission_grant", \
        "INSERT INTO permission_roles (permission, role) VALUES (%s, %s)" \
        " ON CONFLICT DO NOTHING" }, \
    [INVITE_ADMIN_PERMISSION_REVOKE] = { "invitectl_permission_revoke", \
        "DELETE FROM permission_roles WHERE permission = %s AND role = %s" }, \
    [INVITE_ADMIN_TOKEN_ADD] = { "invitectl_token_add", \
        "INSERT INTO login_tokens (user_id, hashed_token, created_at)" \
        " VALUES (%s, %s, NULL) ON CONFLICT DO NOTHING" }, \
    [INVITE_ADMIN_TOKEN_REVOKE] = { "invitectl_token_revoke", \
        "DELETE FROM login_tokens WHERE user_id = %s AND hashed_token = %s" }, \
    [INVITE_ADMIN_TOKEN_REVOKE_ALL] = { "invitectl_token_revoke_all", \
        "DELETE FROM login_tokens WHERE user_id = %s" }, \
    [INVITE_ADMIN_TOKEN_LIST] = { "invitectl_token_list", \
        "SELECT hashed_token, created_at FROM login_tokens" \
        " WHERE user_id = %s ORDER BY hashed_token" }, \
    /* One bounded batch: the caller repeats it, each in its own short \
     * transaction, until it deletes fewer than N. */ \
    [INVITE_ADMIN_PURGE] = { "invitectl_purge", \
        "DELETE FROM invites WHERE id IN (SELECT id FROM invites" \
        "  WHERE " EXPIRED_BY("%lld") \
        "     OR (" USED_UP " AND updated_at <= %lld)" \
        "  LIMIT CAST(%d AS INTEGER))" }, \
    [INVITE_ADMIN_STATS] = { "invitectl_stats", \
        "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM rooms)," \
        " (SELECT count(*) FROM subscriptions)," \
        " (SELECT count(*) FROM login_tokens)," \
        " (SELECT count(*) FROM invites WHERE " LIVE("", "%lld") ")," \
        " (SELECT count(*) FROM invites" \
        "   WHERE NOT " USED_UP " AND " EXPIRED_BY("%lld") ")," \
        " (SELECT count(*) FROM invites WHERE " USED_UP ")," \
        " (SELECT max(version) FROM schema_version)" }, \
    /* invite-sync's progress and the joins it has yet to deliver, for \
     * check; the purge of undelivered joins is batched as the invites'. */ \
    [INVITE_ADMIN_SYNC_STATE] = { "invitectl_sync_state", \
        "SELECT key, value, updated_at FROM sync_state ORDER BY key" }, \
    [INVITE_ADMIN_OUTBOX_STATS] = { "invitectl_outbox_stats", \
        "SELECT count(*), min(created_at) FROM join_outbox" }, \
    [INVITE_ADMIN_OUTBOX_PURGE] = { "invitectl_outbox_purge", \
        "DELETE FROM join_outbox WHERE (user_id, rid) IN" \
        " (SELECT user_id, rid FROM join_outbox WHERE created_at <= %lld" \
        "  LIMIT CAST(%d AS INTEGER))" }, \
}

static const invite_stmt_t sqlite3_admin[INVITE_ADMIN_COUNT] = ADMIN_STATEMENTS;
static const invite_stmt_t pgsql_admin[INVITE_ADMIN_COUNT] = ADMIN_STATEMENTS;

static const invite_engine_t sqlite3_engine = {
    INVITE_ENGINE_SQLITE3, "sqlite3", sqlite3_statements, sqlite3_admin
};
static const invite_engine_t pgsql_engine = {
    INVITE_ENGINE_PGSQL, "pgsql", pgsql_statements, pgsql_admin
};

const invite_engine_t *const invite_sql_engines[] = {
    &sqlite3_engine, &pgsql_engine, NULL
};

const invite_engine_t *invite_sql_engine(const char *driver)
{
    int i;
    for (i = 0; driver && invite_sql_engines[i]; i++) {
        if (!strcmp(driver, invite_sql_engines[i]->driver)) {
            return invite_sql_engines[i];
        }
    }
    return NULL;
}

/* ----------------------------------------------------------- invite-sync */

/* invite-sync (src/sync/): the apply of one change event, the full copy's
 * staging and switch, sync_state, the lease and the join outbox.  Both
 * engines run the same SQL but for the transactions, the session settings,
 * the staging tables' DDL and the null-safe comparison: SQLite's `IS`
 * (older releases lack IS NOT DISTINCT FROM), PostgreSQL's
 * `IS NOT DISTINCT FROM`. */
#define SYNC_SQLITE_SAME(a, b) "(" a " IS " b ")"
#define SYNC_PGSQL_SAME(a, b) "(" a " IS NOT DISTINCT FROM " b ")"

/* A staging table of a full copy: TEMP, private to the connection, never
 * the database's write lock.  Its CREATE, DELETE and inserts of one row
 * and of INVITE_SYNC_STAGE_ROWS rows.  A staged row is inserted once: the
 * first document wins, as with the import's ON CONFLICT DO NOTHING.
 * `without` is SQLite's table suffix. */
#define SYNC_X2(x) x ", " x
#define SYNC_X8(x) SYNC_X2(SYNC_X2(SYNC_X2(x)))
#define SYNC_X256(x) SYNC_X2(SYNC_X2(SYNC_X8(SYNC_X8(x))))
#define SYNC_STAGE(i, table, definition, columns, row, without) \
    [INVITE_SYNC_SQL_STAGE_CREATE + i] = { \
        "invite_sync_stage_create_" table, \
        "CREATE TEMP TABLE IF NOT EXISTS sync_stage_" table \
        " (" definition ")" without }, \
    [INVITE_SYNC_SQL_STAGE_CLEAR + i] = { \
        "invite_sync_stage_clear_" table, \
        "DELETE FROM sync_stage_" table }, \
    [INVITE_SYNC_SQL_STAGE_INSERT_1 + i] = { \
        "invite_sync_stage_" table "_1", \
        "INSERT INTO sync_stage_" table " (" columns ") VALUES " row \
        " ON CONFLICT DO NOTHING" }, \
    [INVITE_SYNC_SQL_STAGE_INSERT_N + i] = { \
        "invite_sync_stage_" table "_n", \
        "INSERT INTO sync_stage_" table " (" columns ") VALUES " \
        SYNC_X256(row) " ON CONFLICT DO NOTHING" }
#define SYNC_STAGES(without) \
    SYNC_STAGE(INVITE_SYNC_STAGE_USERS, "users", \
        "id text NOT NULL PRIMARY KEY, username text", \
        "id, username", "(%s, %s)", without), \
    SYNC_STAGE(INVITE_SYNC_STAGE_USER_ROLES, "user_roles", \
        "user_id text NOT NULL, role text NOT NULL," \
        " PRIMARY KEY (user_id, role)", \
        "user_id, role", "(%s, %s)", without), \
    SYNC_STAGE(INVITE_SYNC_STAGE_TOKENS, "tokens", \
        "user_id text NOT NULL, hashed_token text NOT NULL," \
        " created_at bigint, PRIMARY KEY (user_id, hashed_token)", \
        "user_id, hashed_token, created_at", "(%s, %s, %lld)", without), \
    SYNC_STAGE(INVITE_SYNC_STAGE_ROOMS, "rooms", \
        "id text NOT NULL PRIMARY KEY, t text NOT NULL, name text," \
        " fname text, prid text", \
        "id, t, name, fname, prid", "(%s, %s, %s, %s, %s)", without), \
    SYNC_STAGE(INVITE_SYNC_STAGE_SUBS, "subs", \
        "user_id text NOT NULL, rid text NOT NULL, status text," \
        " PRIMARY KEY (user_id, rid)", \
        "user_id, rid, status", "(%s, %s, %s)", without), \
    SYNC_STAGE(INVITE_SYNC_STAGE_SUB_IDS, "sub_ids", \
        "sub_id text NOT NULL PRIMARY KEY, user_id text NOT NULL," \
        " rid text NOT NULL", \
        "sub_id, user_id, rid", "(%s, %s, %s)", without), \
    SYNC_STAGE(INVITE_SYNC_STAGE_SUB_ROLES, "sub_roles", \
        "user_id text NOT NULL, rid text NOT NULL, role text NOT NULL," \
        " PRIMARY KEY (user_id, rid, role)", \
        "user_id, rid, role", "(%s, %s, %s)", without), \
    SYNC_STAGE(INVITE_SYNC_STAGE_PERMS, "perms", \
        "permission text NOT NULL PRIMARY KEY", \
        "permission", "(%s)", without), \
    SYNC_STAGE(INVITE_SYNC_STAGE_PERM_ROLES, "perm_roles", \
        "permission text NOT NULL, role text NOT NULL," \
        " PRIMARY KEY (permission, role)", \
        "permission, role", "(%s, %s)", without), \
    SYNC_STAGE(INVITE_SYNC_STAGE_INVITES, "invites", \
        "id text NOT NULL PRIMARY KEY, days integer NOT NULL," \
        " max_uses integer NOT NULL, rid text NOT NULL," \
        " user_id text NOT NULL, created_at bigint NOT NULL," \
        " expires bigint, uses integer NOT NULL, updated_at bigint NOT NULL", \
        "id, days, max_uses, rid, user_id, created_at, expires, uses," \
        " updated_at", "(%s, %d, %d, %s, %s, %lld, %lld, %d, %lld)", without)

/* A staged subscription whose user and room are in the copy (the import
 * skips the others). */
#define SYNC_VALID_SUB(s) \
    "EXISTS (SELECT 1 FROM sync_stage_users su WHERE su.id = " s ".user_id)" \
    " AND EXISTS (SELECT 1 FROM sync_stage_rooms sr WHERE sr.id = " s ".rid)"

/* The labels and SQL of every invite-sync statement of an engine whose
 * null-safe equality is SAME. */
#define SYNC_STATEMENTS(SAME) \
    [INVITE_SYNC_SQL_SCHEMA_VERSION] = { "invite_sync_schema_version", \
        SCHEMA_VERSION_SQL }, \
    [INVITE_SYNC_SQL_USER_STATE] = { "invite_sync_user_state", \
        "SELECT 'u', username, NULL FROM users WHERE id = %s" \
        " UNION ALL SELECT 'r', role, NULL FROM user_roles" \
        "   WHERE user_id = %s" \
        " UNION ALL SELECT 't', hashed_token, CAST(created_at AS text)" \
        "   FROM login_tokens" \
        "   WHERE user_id = %s" }, \
    [INVITE_SYNC_SQL_USER_PUT] = { "invite_sync_user_put", \
        "INSERT INTO users (id, username) VALUES (%s, %s)" \
        " ON CONFLICT (id) DO UPDATE SET username = excluded.username" }, \
    [INVITE_SYNC_SQL_USER_DEL] = { "invite_sync_user_del", \
        "DELETE FROM users WHERE id = %s" }, \
    [INVITE_SYNC_SQL_USER_ROLE_ADD] = { "invite_sync_user_role_add", \
        "INSERT INTO user_roles (user_id, role) VALUES (%s, %s)" \
        " ON CONFLICT DO NOTHING" }, \
    [INVITE_SYNC_SQL_USER_ROLE_DEL] = { "invite_sync_user_role_del", \
        "DELETE FROM user_roles WHERE user_id = %s AND role = %s" }, \
    [INVITE_SYNC_SQL_TOKEN_ADD] = { "invite_sync_token_add", \
        "INSERT INTO login_tokens (user_id, hashed_token, created_at)" \
        " VALUES (%s, %s, %lld) ON CONFLICT DO NOTHING" }, \
    [INVITE_SYNC_SQL_TOKEN_DEL] = { "invite_sync_token_del", \
        "DELETE FROM login_tokens WHERE user_id = %s AND hashed_token = %s" }, \
    [INVITE_SYNC_SQL_TOKEN_TIME] = { "invite_sync_token_time", \
        "UPDATE login_tokens SET created_at = %lld" \
        " WHERE user_id = %s AND hashed_token = %s" }, \
    [INVITE_SYNC_SQL_ROOM_GET] = { "invite_sync_room_get", \
        "SELECT t, name, fname, prid FROM rooms WHERE id = %s" }, \
    [INVITE_SYNC_SQL_ROOM_PUT] = { "invite_sync_room_put", \
        "INSERT INTO rooms (id, t, name, fname, prid)" \
        " VALUES (%s, %s, %s, %s, %s)" \
        " ON CONFLICT (id) DO UPDATE SET t = excluded.t," \
        " name = excluded.name, fname = excluded.fname," \
        " prid = excluded.prid" }, \
    [INVITE_SYNC_SQL_ROOM_DEL] = { "invite_sync_room_del", \
        "DELETE FROM rooms WHERE id = %s" }, \
    [INVITE_SYNC_SQL_SUB_STATE] = { "invite_sync_sub_state", \
        "SELECT 'm', user_id, rid FROM sync_subscription_ids" \
        "   WHERE sub_id = %s" \
        " UNION ALL SELECT 'u', NULL, NULL FROM users WHERE id = %s" \
        " UNION ALL SELECT 'r', NULL, NULL FROM rooms WHERE id = %s" \
        " UNION ALL SELECT 's', status, NULL FROM subscriptions" \
        "   WHERE user_id = %s AND rid = %s" \
        " UNION ALL SELECT 'o', role, NULL FROM subscription_roles" \
        "   WHERE user_id = %s AND rid = %s" }, \
    [INVITE_SYNC_SQL_SUB_PUT] = { "invite_sync_sub_put", \
        "INSERT INTO subscriptions (user_id, rid, status) VALUES (%s, %s, %s)" \
        " ON CONFLICT (user_id, rid) DO UPDATE SET status = excluded.status" }, \
    [INVITE_SYNC_SQL_SUB_DEL] = { "invite_sync_sub_del", \
        "DELETE FROM subscriptions WHERE user_id = %s AND rid = %s" }, \
    [INVITE_SYNC_SQL_SUB_ROLE_ADD] = { "invite_sync_sub_role_add", \
        "INSERT INTO subscription_roles (user_id, rid, role)" \
        " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING" }, \
    [INVITE_SYNC_SQL_SUB_ROLE_DEL] = { "invite_sync_sub_role_del", \
        "DELETE FROM subscription_roles" \
        " WHERE user_id = %s AND rid = %s AND role = %s" }, \
    [INVITE_SYNC_SQL_SUB_ID_GET] = { "invite_sync_sub_id_get", \
        "SELECT user_id, rid FROM sync_subscription_ids WHERE sub_id = %s" }, \
    [INVITE_SYNC_SQL_SUB_ID_PUT] = { "invite_sync_sub_id_put", \
        "INSERT INTO sync_subscription_ids (sub_id, user_id, rid)" \
        " VALUES (%s, %s, %s) ON CONFLICT (sub_id) DO UPDATE" \
        " SET user_id = excluded.user_id, rid = excluded.rid" }, \
    [INVITE_SYNC_SQL_SUB_ID_DEL] = { "invite_sync_sub_id_del", \
        "DELETE FROM sync_subscription_ids WHERE sub_id = %s" }, \
    [INVITE_SYNC_SQL_PERM_ROLES] = { "invite_sync_perm_roles", \
        "SELECT 'r', role, NULL FROM permission_roles" \
        " WHERE permission = %s" }, \
    [INVITE_SYNC_SQL_PERM_ROLE_ADD] = { "invite_sync_perm_role_add", \
        "INSERT INTO permission_roles (permission, role) VALUES (%s, %s)" \
        " ON CONFLICT DO NOTHING" }, \
    [INVITE_SYNC_SQL_PERM_ROLE_DEL] = { "invite_sync_perm_role_del", \
        "DELETE FROM permission_roles WHERE permission = %s AND role = %s" }, \
    [INVITE_SYNC_SQL_PERM_DEL] = { "invite_sync_perm_del", \
        "DELETE FROM permission_roles WHERE permission = %s" }, \
    [INVITE_SYNC_SQL_STATE_GET] = { "invite_sync_state_get", \
        "SELECT value FROM sync_state WHERE key = %s" }, \
    [INVITE_SYNC_SQL_STATE_PUT] = { "invite_sync_state_put", \
        "INSERT INTO sync_state (key, value, updated_at) VALUES (%s, %s, %lld)" \
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value," \
        " updated_at = excluded.updated_at" }, \
    /* Taken when free, expired or already ours: one row changed. */ \
    [INVITE_SYNC_SQL_LEASE_TAKE] = { "invite_sync_lease_take", \
        "INSERT INTO sync_lease (name, owner, expires_at) VALUES (%s, %s, %lld)" \
        " ON CONFLICT (name) DO UPDATE SET owner = excluded.owner," \
        " expires_at = excluded.expires_at" \
        " WHERE sync_lease.owner = excluded.owner" \
        "    OR sync_lease.expires_at <= %lld" }, \
    [INVITE_SYNC_SQL_LEASE_GET] = { "invite_sync_lease_get", \
        "SELECT owner, expires_at FROM sync_lease WHERE name = %s" }, \
    [INVITE_SYNC_SQL_LEASE_RELEASE] = { "invite_sync_lease_release", \
        "DELETE FROM sync_lease WHERE name = %s AND owner = %s" }, \
    /* Due joins with their room's type (the REST route); a row whose \
     * room is gone went with it (ON DELETE CASCADE). */ \
    [INVITE_SYNC_SQL_OUTBOX_DUE] = { "invite_sync_outbox_due", \
        "SELECT o.user_id, o.rid, r.t, o.attempts, o.last_error" \
        " FROM join_outbox o JOIN rooms r ON r.id = o.rid" \
        " WHERE o.next_attempt_at <= %lld" \
        " ORDER BY o.next_attempt_at, o.created_at, o.user_id, o.rid" \
        " LIMIT CAST(%d AS INTEGER)" }, \
    [INVITE_SYNC_SQL_OUTBOX_DONE] = { "invite_sync_outbox_done", \
        "DELETE FROM join_outbox WHERE user_id = %s AND rid = %s" }, \
    [INVITE_SYNC_SQL_OUTBOX_RETRY] = { "invite_sync_outbox_retry", \
        "UPDATE join_outbox SET attempts = attempts + 1," \
        " next_attempt_at = %lld, last_error = %s" \
        " WHERE user_id = %s AND rid = %s" }, \
    [INVITE_SYNC_SQL_OUTBOX_PENDING] = { "invite_sync_outbox_pending", \
        "SELECT count(*) FROM join_outbox" }, \
    /* rocketchat_invites as the import brought them (docs/import.md): \
     * added, never updated or deleted; slot NULL.  Invites are \
     * mod_invite's own once it serves the API. */ \
    [INVITE_SYNC_SQL_INVITES_PUT] = { "invite_sync_invites_put", \
        "INSERT INTO invites (id, days, max_uses, rid, user_id, created_at," \
        " expires, uses, updated_at)" \
        " SELECT s.id, s.days, s.max_uses, s.rid, s.user_id, s.created_at," \
        " s.expires, s.uses, s.updated_at FROM sync_stage_invites s" \
        " WHERE NOT EXISTS (SELECT 1 FROM invites i WHERE i.id = s.id)" \
        " ON CONFLICT DO NOTHING" }, \
    [INVITE_SYNC_SQL_STAGE_SKIPPED] = { "invite_sync_stage_skipped", \
        "SELECT count(*) FROM sync_stage_subs s" \
        " WHERE NOT (" SYNC_VALID_SUB("s") ")" }, \
    /* The switch.  Deletes first, children before parents; a \
     * subscription still in join_outbox was joined here and is on its \
     * way to Rocket.Chat: it stays. */ \
    [INVITE_SYNC_SQL_SWITCH_DEL_SUBS] = { "invite_sync_switch_del_subs", \
        "DELETE FROM subscriptions WHERE NOT EXISTS (SELECT 1" \
        "   FROM sync_stage_subs s WHERE s.user_id = subscriptions.user_id" \
        "   AND s.rid = subscriptions.rid)" \
        " AND NOT EXISTS (SELECT 1 FROM join_outbox o" \
        "   WHERE o.user_id = subscriptions.user_id" \
        "   AND o.rid = subscriptions.rid)" }, \
    [INVITE_SYNC_SQL_SWITCH_DEL_SUB_ROLES] = { \
        "invite_sync_switch_del_sub_roles", \
        "DELETE FROM subscription_roles WHERE NOT EXISTS (SELECT 1" \
        "   FROM sync_stage_sub_roles s" \
        "   WHERE s.user_id = subscription_roles.user_id" \
        "   AND s.rid = subscription_roles.rid" \
        "   AND s.role = subscription_roles.role)" }, \
    [INVITE_SYNC_SQL_SWITCH_DEL_TOKENS] = { "invite_sync_switch_del_tokens", \
        "DELETE FROM login_tokens WHERE NOT EXISTS (SELECT 1" \
        "   FROM sync_stage_tokens s WHERE s.user_id = login_tokens.user_id" \
        "   AND s.hashed_token = login_tokens.hashed_token)" }, \
    [INVITE_SYNC_SQL_SWITCH_DEL_USER_ROLES] = { \
        "invite_sync_switch_del_user_roles", \
        "DELETE FROM user_roles WHERE NOT EXISTS (SELECT 1" \
        "   FROM sync_stage_user_roles s WHERE s.user_id = user_roles.user_id" \
        "   AND s.role = user_roles.role)" }, \
    [INVITE_SYNC_SQL_SWITCH_DEL_USERS] = { "invite_sync_switch_del_users", \
        "DELETE FROM users WHERE NOT EXISTS (SELECT 1" \
        "   FROM sync_stage_users s WHERE s.id = users.id)" }, \
    [INVITE_SYNC_SQL_SWITCH_DEL_ROOMS] = { "invite_sync_switch_del_rooms", \
        "DELETE FROM rooms WHERE NOT EXISTS (SELECT 1" \
        "   FROM sync_stage_rooms s WHERE s.id = rooms.id)" }, \
    [INVITE_SYNC_SQL_SWITCH_DEL_SUB_IDS] = { \
        "invite_sync_switch_del_sub_ids", \
        "DELETE FROM sync_subscription_ids WHERE NOT EXISTS (SELECT 1" \
        "   FROM sync_stage_sub_ids s" \
        "   WHERE s.sub_id = sync_subscription_ids.sub_id" \
        "   AND " SYNC_VALID_SUB("s") ")" }, \
    /* Permissions in the copy are replaced; the others keep their rows \
     * (docs/import.md: the schema seeds create-invite-links). */ \
    [INVITE_SYNC_SQL_SWITCH_DEL_PERM_ROLES] = { \
        "invite_sync_switch_del_perm_roles", \
        "DELETE FROM permission_roles" \
        " WHERE permission IN (SELECT permission FROM sync_stage_perms)" \
        " AND NOT EXISTS (SELECT 1 FROM sync_stage_perm_roles s" \
        "   WHERE s.permission = permission_roles.permission" \
        "   AND s.role = permission_roles.role)" }, \
    /* Then what is new or differs: one changed row per difference. */ \
    [INVITE_SYNC_SQL_SWITCH_PUT_USERS] = { "invite_sync_switch_put_users", \
        "INSERT INTO users (id, username) SELECT s.id, s.username" \
        " FROM sync_stage_users s WHERE NOT EXISTS (SELECT 1 FROM users u" \
        "   WHERE u.id = s.id AND " SAME("u.username", "s.username") ")" \
        " ON CONFLICT (id) DO UPDATE SET username = excluded.username" }, \
    [INVITE_SYNC_SQL_SWITCH_PUT_ROOMS] = { "invite_sync_switch_put_rooms", \
        "INSERT INTO rooms (id, t, name, fname, prid)" \
        " SELECT s.id, s.t, s.name, s.fname, s.prid" \
        " FROM sync_stage_rooms s WHERE NOT EXISTS (SELECT 1 FROM rooms r" \
        "   WHERE r.id = s.id AND r.t = s.t" \
        "   AND " SAME("r.name", "s.name") \
        "   AND " SAME("r.fname", "s.fname") \
        "   AND " SAME("r.prid", "s.prid") ")" \
        " ON CONFLICT (id) DO UPDATE SET t = excluded.t," \
        " name = excluded.name, fname = excluded.fname," \
        " prid = excluded.prid" }, \
    [INVITE_SYNC_SQL_SWITCH_PUT_USER_ROLES] = { \
        "invite_sync_switch_put_user_roles", \
        "INSERT INTO user_roles (user_id, role) SELECT s.user_id, s.role" \
        " FROM sync_stage_user_roles s WHERE NOT EXISTS (SELECT 1" \
        "   FROM user_roles r WHERE r.user_id = s.user_id" \
        "   AND r.role = s.role)" \
        " ON CONFLICT DO NOTHING" }, \
    [INVITE_SYNC_SQL_SWITCH_PUT_TOKENS] = { "invite_sync_switch_put_tokens", \
        "INSERT INTO login_tokens (user_id, hashed_token, created_at)" \
        " SELECT s.user_id, s.hashed_token, s.created_at" \
        " FROM sync_stage_tokens s WHERE NOT EXISTS (SELECT 1" \
        "   FROM login_tokens t WHERE t.user_id = s.user_id" \
        "   AND t.hashed_token = s.hashed_token" \
        "   AND " SAME("t.created_at", "s.created_at") ")" \
        " ON CONFLICT (user_id, hashed_token)" \
        " DO UPDATE SET created_at = excluded.created_at" }, \
    [INVITE_SYNC_SQL_SWITCH_PUT_SUBS] = { "invite_sync_switch_put_subs", \
        "INSERT INTO subscriptions (user_id, rid, status)" \
        " SELECT s.user_id, s.rid, s.status FROM sync_stage_subs s" \
        " WHERE " SYNC_VALID_SUB("s") \
        " AND NOT EXISTS (SELECT 1 FROM subscriptions x" \
        "   WHERE x.user_id = s.user_id AND x.rid = s.rid" \
        "   AND " SAME("x.status", "s.status") ")" \
        " ON CONFLICT (user_id, rid) DO UPDATE SET status = excluded.status" }, \
    [INVITE_SYNC_SQL_SWITCH_PUT_SUB_ROLES] = { \
        "invite_sync_switch_put_sub_roles", \
        "INSERT INTO subscription_roles (user_id, rid, role)" \
        " SELECT s.user_id, s.rid, s.role FROM sync_stage_sub_roles s" \
        " WHERE EXISTS (SELECT 1 FROM subscriptions x" \
        "   WHERE x.user_id = s.user_id AND x.rid = s.rid)" \
        " AND NOT EXISTS (SELECT 1 FROM subscription_roles r" \
        "   WHERE r.user_id = s.user_id AND r.rid = s.rid" \
        "   AND r.role = s.role)" \
        " ON CONFLICT DO NOTHING" }, \
    [INVITE_SYNC_SQL_SWITCH_PUT_SUB_IDS] = { \
        "invite_sync_switch_put_sub_ids", \
        "INSERT INTO sync_subscription_ids (sub_id, user_id, rid)" \
        " SELECT s.sub_id, s.user_id, s.rid FROM sync_stage_sub_ids s" \
        " WHERE " SYNC_VALID_SUB("s") \
        " AND NOT EXISTS (SELECT 1 FROM sync_subscription_ids x" \
        "   WHERE x.sub_id = s.sub_id AND x.user_id = s.user_id" \
        "   AND x.rid = s.rid)" \
        " ON CONFLICT (sub_id) DO UPDATE SET user_id = excluded.user_id," \
        " rid = excluded.rid" }, \
    [INVITE_SYNC_SQL_SWITCH_PUT_PERM_ROLES] = { \
        "invite_sync_switch_put_perm_roles", \
        "INSERT INTO permission_roles (permission, role)" \
        " SELECT s.permission, s.role FROM sync_stage_perm_roles s" \
        " WHERE NOT EXISTS (SELECT 1 FROM permission_roles r" \
        "   WHERE r.permission = s.permission AND r.role = s.role)" \
        " ON CONFLICT DO NOTHING" }

static const invite_stmt_t sqlite3_sync[INVITE_SYNC_SQL_COUNT] = {
    [INVITE_SYNC_SQL_SESSION_FK] = { "invite_sync_session_fk",
        "PRAGMA foreign_keys = ON" },
    /* SQLite's own wait for the module's writers, finer than apr_dbd's
     * 100 ms retries; a batch waits up to 10 s, as the import did. */
    [INVITE_SYNC_SQL_SESSION_BUSY] = { "invite_sync_session_busy",
        "PRAGMA busy_timeout = 10000" },
    [INVITE_SYNC_SQL_BEGIN] = { "invite_sync_begin", "BEGIN IMMEDIATE" },
    /* Deferred: the staging writes only TEMP tables. */
    [INVITE_SYNC_SQL_STAGE_BEGIN] = { "invite_sync_stage_begin", "BEGIN" },
    [INVITE_SYNC_SQL_COMMIT] = { "invite_sync_commit", "COMMIT" },
    [INVITE_SYNC_SQL_ROLLBACK] = { "invite_sync_rollback", "ROLLBACK" },
    /* The staging is read through its primary keys. */
    [INVITE_SYNC_SQL_STAGE_ANALYZE] = { "invite_sync_stage_analyze", NULL },
    SYNC_STAGES(" WITHOUT ROWID"),
    SYNC_STATEMENTS(SYNC_SQLITE_SAME),
};

static const invite_stmt_t pgsql_sync[INVITE_SYNC_SQL_COUNT] = {
    [INVITE_SYNC_SQL_SESSION_FK] = { "invite_sync_session_fk", NULL },
    [INVITE_SYNC_SQL_SESSION_BUSY] = { "invite_sync_session_busy", NULL },
    [INVITE_SYNC_SQL_BEGIN] = { "invite_sync_begin", "BEGIN" },
    [INVITE_SYNC_SQL_STAGE_BEGIN] = { "invite_sync_stage_begin", "BEGIN" },
    [INVITE_SYNC_SQL_COMMIT] = { "invite_sync_commit", "COMMIT" },
    [INVITE_SYNC_SQL_ROLLBACK] = { "invite_sync_rollback", "ROLLBACK" },
    [INVITE_SYNC_SQL_STAGE_ANALYZE] = { "invite_sync_stage_analyze",
        "ANALYZE sync_stage_users, sync_stage_user_roles, sync_stage_tokens,"
        " sync_stage_rooms, sync_stage_subs, sync_stage_sub_ids,"
        " sync_stage_sub_roles, sync_stage_perms, sync_stage_perm_roles,"
        " sync_stage_invites" },
    SYNC_STAGES(""),
    SYNC_STATEMENTS(SYNC_PGSQL_SAME),
};

const invite_stmt_t *invite_sync_sql(invite_engine_e engine)
{
    return engine == INVITE_ENGINE_PGSQL ? pgsql_sync : sqlite3_sync;
}
