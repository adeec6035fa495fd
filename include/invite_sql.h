/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_sql.h - the prepared statements of mod_invite (src/invite_sql.c),
 * one set per database engine.
 *
 * The schemas are conf/schema-sqlite3.sql and conf/schema-pgsql.sql.  Both
 * sets share labels and result columns; the SQL differs where each engine
 * has a faster form (one-statement create on PostgreSQL, its aggregate
 * names); mod_invite prepares the set of a connection's driver when it
 * first uses the connection.
 *
 * Patched by bench/lookups.patch (bench/no-sql.sh, checked by make
 * bench-smoke), which adds a statement before INVITE_STMT_COUNT.
 */
#ifndef INVITE_SQL_H
#define INVITE_SQL_H

/* The schema version this build reads and writes: the highest
 * schema_version.version of a database it serves.  conf/schema-*.sql are
 * this version; conf/migrations/ bring older databases up to it.
 * 2: SQLite tables WITHOUT ROWID (PostgreSQL unchanged).
 * 3: SQLite's invites_live_lookup holds every column of a find answer
 *    (PostgreSQL unchanged).
 * 4: subscriptions.status (bans).
 * 5: invite-sync's tables and the join outbox. */
#define INVITE_SCHEMA_VERSION 5

typedef enum {
    INVITE_STMT_FIND,          /* auth + permission + room + live invite */
    INVITE_STMT_FIND_INVITE,   /* the live invite alone (InviteAuthCache) */
    INVITE_STMT_RELEASE_SLOT,  /* sqlite3: free the slot of a dead invite */
    INVITE_STMT_CREATE,        /* new invite taking the slot, or nothing
                                * (pgsql: releases a dead holder first) */
    INVITE_STMT_SLOT_HOLDER,   /* the invite holding the slot */
    INVITE_STMT_SESSION,       /* run once per new connection, or NULL */
    INVITE_STMT_AUTH,          /* a caller's token hashes and global grants */
    INVITE_STMT_AUTH_MAIL,     /* the same, bulk-register-user for the grant
                                * (sendInvitationEmail) */
    INVITE_STMT_LIST,          /* every invite, oldest first */
    INVITE_STMT_REMOVE,        /* delete one invite by id */
    INVITE_STMT_VALIDATE,      /* an invite by token, and its room */
    INVITE_STMT_USE_FACTS,     /* auth + invite + room + membership */
    INVITE_STMT_USE,           /* count a use if the invite is still live
                                * (pgsql: and subscribe, one statement) */
    INVITE_STMT_USE_JOIN,      /* sqlite3: subscribe, in USE's transaction */
    INVITE_STMT_USE_OUTBOX,    /* sqlite3: the join's outbox row, in USE's
                                * transaction (pgsql: in USE itself) */
    INVITE_STMT_SYNC_STATUS,   /* the server-status page's sync lines */
    INVITE_STMT_AUTH_FAILURE,  /* why a caller failed authentication (only
                                * run for the debug log) */
    INVITE_STMT_SCHEMA_VERSION,/* the database's schema version (one row:
                                * NULL when schema_version is empty); run
                                * once per connection, before the others
                                * are prepared */
    INVITE_STMT_COUNT
} invite_stmt_e;

typedef struct {
    const char *label;   /* [a-z_][a-z0-9_]*: pgsql uses it as identifier */
    const char *sql;     /* apr_dbd format codes: %s %d %lld, %% literal;
                          * NULL: this engine does not use the statement */
} invite_stmt_t;

typedef enum {
    /* Creates with CREATE alone when the slot is free, else RELEASE_SLOT
     * then CREATE in one transaction, under a host-wide writer lock. */
    INVITE_ENGINE_SQLITE3,
    /* CREATE releases and inserts in one statement; connections may need
     * reconnecting and their statements preparing again. */
    INVITE_ENGINE_PGSQL
} invite_engine_e;

/* The statements of invitectl, the admin command (src/ctl/): one
 * set per engine like the module's, on the same tables, so the two never
 * disagree about the data model.  Labels start with invitectl_.  Users and
 * rooms are named by id or by username / room name (*_FIND). */
typedef enum {
    INVITE_ADMIN_VERSION,          /* max(schema_version.version); no args */
    INVITE_ADMIN_VERSION_RECORD,   /* args: version, applied_at */
    INVITE_ADMIN_HAS_TABLES,       /* prepares only where mod_invite's
                                    * tables are (no args) */
    INVITE_ADMIN_USER_FIND,        /* id, username, rank (0: by id, 1: by
                                    * username), every match; args: id,
                                    * username (NULL: not that way) */
    INVITE_ADMIN_USER_ADD,         /* args: id, username, username, id,
                                    * username; 0 rows: either is taken,
                                    * as id or username */
    INVITE_ADMIN_USER_DEL,         /* args: id (cascades) */
    INVITE_ADMIN_USER_ROLES,       /* role; arg: user id */
    INVITE_ADMIN_USER_ROLE_ADD,    /* args: user id, role; 0 rows: held */
    INVITE_ADMIN_USER_ROLE_DEL,    /* args: user id, role */
    INVITE_ADMIN_USER_SHOW,        /* id, username, number of login
                                    * tokens; arg: user id */
    INVITE_ADMIN_USER_ROOMS,       /* rid, room name, room role (NULL: none),
                                    * a row per role, by rid; arg: user id */
    INVITE_ADMIN_ROOM_FIND,        /* id, name, rank: as USER_FIND */
    INVITE_ADMIN_ROOM_ADD,         /* args: id, t, name, fname, prid,
                                    * name, id, name; 0 rows: either is
                                    * taken, as id or name */
    INVITE_ADMIN_ROOM_DEL,         /* arg: id (cascades to members) */
    INVITE_ADMIN_MEMBER_ADD,       /* args: user id, rid; 0 rows: member */
    INVITE_ADMIN_MEMBER_DEL,       /* args: user id, rid */
    INVITE_ADMIN_MEMBER_BAN,       /* args: user id, rid; 0 rows: banned */
    INVITE_ADMIN_MEMBER_UNBAN,     /* args: user id, rid; 0 rows: not banned */
    INVITE_ADMIN_MEMBER_ROLE_ADD,  /* args: user id, rid, role */
    INVITE_ADMIN_PERMISSION_GRANT, /* args: permission, role; 0: granted */
    INVITE_ADMIN_PERMISSION_REVOKE,/* args: permission, role */
    INVITE_ADMIN_TOKEN_ADD,        /* args: user id, hash; created_at NULL:
                                    * a personal access token, no expiry */
    INVITE_ADMIN_TOKEN_REVOKE,     /* args: user id, hash */
    INVITE_ADMIN_TOKEN_REVOKE_ALL, /* arg: user id */
    INVITE_ADMIN_TOKEN_LIST,       /* hash, created_at; arg: user id */
    INVITE_ADMIN_PURGE,            /* deletes at most N dead invites; args:
                                    * cutoff (expired), cutoff (used up),
                                    * N */
    INVITE_ADMIN_STATS,            /* one row, INVITE_ADMIN_STATS_COL_*;
                                    * args: now x2 */
    INVITE_ADMIN_SYNC_STATE,       /* key, value, updated_at of every
                                    * sync_state row, by key; no args */
    INVITE_ADMIN_OUTBOX_STATS,     /* one row: join_outbox rows, the
                                    * oldest created_at (NULL: none) */
    INVITE_ADMIN_OUTBOX_PURGE,     /* deletes at most N join_outbox rows
                                    * created at or before a cutoff; args:
                                    * cutoff, N */
    INVITE_ADMIN_COUNT
} invite_admin_stmt_e;

/* Columns of INVITE_ADMIN_STATS. */
enum {
    INVITE_ADMIN_STATS_COL_USERS,
    INVITE_ADMIN_STATS_COL_ROOMS,
    INVITE_ADMIN_STATS_COL_SUBSCRIPTIONS,
    INVITE_ADMIN_STATS_COL_TOKENS,
    INVITE_ADMIN_STATS_COL_LIVE,
    INVITE_ADMIN_STATS_COL_EXPIRED,    /* dead by date, not used up */
    INVITE_ADMIN_STATS_COL_USED_UP,
    INVITE_ADMIN_STATS_COL_VERSION,
    INVITE_ADMIN_STATS_COL_COUNT
};

typedef struct {
    invite_engine_e id;
    const char *driver;                /* apr_dbd driver name */
    const invite_stmt_t *statements;   /* INVITE_STMT_COUNT entries */
    const invite_stmt_t *admin;        /* INVITE_ADMIN_COUNT entries */
} invite_engine_t;

/* The engine of an apr_dbd driver name, or NULL when unsupported. */
const invite_engine_t *invite_sql_engine(const char *driver);

/* Every supported engine, NULL-terminated (for tools and tests). */
extern const invite_engine_t *const invite_sql_engines[];

/* Arguments of INVITE_STMT_CREATE: the slot-release arguments (user id,
 * rid, days, max_uses, now), then the insert's (id, days, max_uses, rid,
 * user id, created_at, expires or NULL, updated_at).  sqlite3's CREATE
 * takes only the insert's: INVITE_CREATE_INSERT_ARGS on. */
#define INVITE_CREATE_RELEASE_ARGS 5
#define INVITE_CREATE_INSERT_ARGS 8

/* Columns of INVITE_STMT_FIND's one row. */
enum {
    INVITE_FIND_COL_TOKEN_HASHES,  /* the user's token hashes separated by
                                    * spaces; NULL: no such user or none */
    INVITE_FIND_COL_GRANTED,
    INVITE_FIND_COL_SUBSCRIBED,
    INVITE_FIND_COL_ROOM_TYPE,
    INVITE_FIND_COL_BYPASS,     /* holds api-bypass-rate-limit globally */
    INVITE_FIND_COL_INVITE      /* first of the INVITE_COL_* block */
};

/* Columns of INVITE_STMT_AUTH's one row.  Args: user id, login-token
 * cutoff (epoch ms), user id x2. */
enum {
    INVITE_AUTH_COL_TOKEN_HASHES,  /* as INVITE_FIND_COL_TOKEN_HASHES */
    INVITE_AUTH_COL_GRANTED,       /* create-invite-links, global roles */
    INVITE_AUTH_COL_BYPASS,        /* api-bypass-rate-limit, global roles */
    INVITE_AUTH_COL_COUNT
};

/* Columns of INVITE_STMT_AUTH_FAILURE: one row per login token of the
 * user whatever its age, or one row with NULL token columns when it has
 * none.  Args: user id x2. */
enum {
    INVITE_AUTH_FAILURE_COL_USER,        /* 1 when the users row exists */
    INVITE_AUTH_FAILURE_COL_HASH,        /* a hashed_token, or NULL */
    INVITE_AUTH_FAILURE_COL_CREATED_AT,  /* its created_at, NULL: never
                                          * expires */
    INVITE_AUTH_FAILURE_COL_COUNT
};

/* Columns of INVITE_STMT_VALIDATE (no row: no such invite).  Arg: token. */
enum {
    INVITE_VALIDATE_COL_EXPIRES,   /* NULL: never */
    INVITE_VALIDATE_COL_USES,
    INVITE_VALIDATE_COL_MAX_USES,
    INVITE_VALIDATE_COL_ROOM,      /* 1 when the room exists */
    INVITE_VALIDATE_COL_COUNT
};

/* Columns of INVITE_STMT_USE_FACTS' one row.  Args: user id, login-token
 * cutoff, user id x3, token. */
enum {
    INVITE_USE_COL_TOKEN_HASHES,
    INVITE_USE_COL_BYPASS,
    INVITE_USE_COL_HAS_USERNAME,   /* 1: the user has a username */
    INVITE_USE_COL_SUBSCRIBED,     /* 1: a member of the room, 2: banned */
    INVITE_USE_COL_INVITE_ID,      /* NULL: no such invite */
    INVITE_USE_COL_RID,
    INVITE_USE_COL_EXPIRES,
    INVITE_USE_COL_USES,
    INVITE_USE_COL_MAX_USES,
    INVITE_USE_COL_ROOM_ID,        /* NULL: the room is gone */
    INVITE_USE_COL_ROOM_TYPE,
    INVITE_USE_COL_ROOM_NAME,
    INVITE_USE_COL_ROOM_FNAME,
    INVITE_USE_COL_ROOM_PRID,
    INVITE_USE_COL_COUNT
};

/* INVITE_STMT_USE.  pgsql: args token, now, user id x2, now (updated_at),
 * user id x2, now (outbox created_at), now (outbox next_attempt_at),
 * outbox (1: write the join's join_outbox row, 0: not); one row: (1 if
 * the invite was live and locked, 1 if a use was counted).  sqlite3: args
 * now (updated_at), token, now, user id; affects one row when a use was
 * counted.  INVITE_STMT_USE_JOIN: args user id, token, user id; affects
 * one row when the user was subscribed.  INVITE_STMT_USE_OUTBOX (sqlite3,
 * after a USE_JOIN that subscribed): args user id, rid, now (created_at),
 * now (next_attempt_at); 0 rows when the row was there already. */
#define INVITE_USE_PGSQL_ARGS 10
#define INVITE_USE_SQLITE_ARGS 4
#define INVITE_USE_JOIN_ARGS 3
#define INVITE_USE_OUTBOX_ARGS 4

/* Columns of INVITE_STMT_SYNC_STATUS' one row (no args): what the
 * server-status page shows of invite-sync (docs/operations.md). */
enum {
    INVITE_SYNC_STATUS_COL_LAST_OK,       /* sync_state last_ok_at: value */
    INVITE_SYNC_STATUS_COL_LAST_OK_AT,    /* ... and its updated_at; both
                                           * NULL: never synced */
    INVITE_SYNC_STATUS_COL_OUTBOX,        /* join_outbox rows */
    INVITE_SYNC_STATUS_COL_COUNT
};

/* Column positions of an invite block (INVITE_STMT_FIND from
 * INVITE_FIND_COL_INVITE on, INVITE_STMT_FIND_INVITE and
 * INVITE_STMT_SLOT_HOLDER from 0). */
enum {
    INVITE_COL_ID,
    INVITE_COL_DAYS,
    INVITE_COL_MAX_USES,
    INVITE_COL_RID,
    INVITE_COL_USER_ID,
    INVITE_COL_CREATED_AT,
    INVITE_COL_EXPIRES,
    INVITE_COL_USES,
    INVITE_COL_UPDATED_AT,
    INVITE_COL_COUNT
};

/* invite-sync's statements (src/sync/, include/invite_sync_store.h): one
 * set per engine, labels invite_sync_*.  Statements marked "query" take no
 * argument and run unprepared (transactions, session settings, the
 * staging tables' DDL); the others are prepared on first use.  NULL: the
 * engine has no such step. */

/* The staging tables of a full copy: TEMP tables of the connection. */
enum {
    INVITE_SYNC_STAGE_USERS,        /* id, username */
    INVITE_SYNC_STAGE_USER_ROLES,   /* user_id, role */
    INVITE_SYNC_STAGE_TOKENS,       /* user_id, hashed_token, created_at */
    INVITE_SYNC_STAGE_ROOMS,        /* id, t, name, fname, prid */
    INVITE_SYNC_STAGE_SUBS,         /* user_id, rid, status */
    INVITE_SYNC_STAGE_SUB_IDS,      /* sub_id, user_id, rid */
    INVITE_SYNC_STAGE_SUB_ROLES,    /* user_id, rid, role */
    INVITE_SYNC_STAGE_PERMS,        /* permission */
    INVITE_SYNC_STAGE_PERM_ROLES,   /* permission, role */
    INVITE_SYNC_STAGE_INVITES,      /* id, days, max_uses, rid, user_id,
                                     * created_at, expires, uses,
                                     * updated_at (--once --invites) */
    INVITE_SYNC_STAGE_TABLES
};
/* The most columns a staging table has (invites). */
#define INVITE_SYNC_STAGE_MAXCOLS 9
/* Rows per multi-row staging insert (INVITE_SYNC_SQL_STAGE_INSERT_N). */
#define INVITE_SYNC_STAGE_ROWS 256

typedef enum {
    /* queries */
    INVITE_SYNC_SQL_SESSION_FK,     /* sqlite3: PRAGMA foreign_keys */
    INVITE_SYNC_SQL_SESSION_BUSY,   /* sqlite3: PRAGMA busy_timeout */
    INVITE_SYNC_SQL_BEGIN,          /* the write lock up front */
    INVITE_SYNC_SQL_STAGE_BEGIN,    /* staging only: no write lock */
    INVITE_SYNC_SQL_COMMIT,
    INVITE_SYNC_SQL_ROLLBACK,
    INVITE_SYNC_SQL_STAGE_ANALYZE,  /* pgsql: statistics of the staging
                                     * (autovacuum never reads TEMP) */
    /* CREATE TEMP TABLE IF NOT EXISTS, then DELETE FROM, per table */
    INVITE_SYNC_SQL_STAGE_CREATE,
    INVITE_SYNC_SQL_STAGE_CLEAR =
        INVITE_SYNC_SQL_STAGE_CREATE + INVITE_SYNC_STAGE_TABLES,
    /* prepared */
    INVITE_SYNC_SQL_SCHEMA_VERSION =
        INVITE_SYNC_SQL_STAGE_CLEAR + INVITE_SYNC_STAGE_TABLES,
    INVITE_SYNC_SQL_USER_STATE,     /* what SQL holds of a user, one
                                     * round trip: rows (kind, a, b) of
                                     * kind 'u' (a: username), 'r' (a:
                                     * role), 't' (a: hashed_token, b:
                                     * created_at); args: user id x3 */
    INVITE_SYNC_SQL_USER_PUT,       /* args: id, username */
    INVITE_SYNC_SQL_USER_DEL,       /* arg: id (cascades) */
    INVITE_SYNC_SQL_USER_ROLE_ADD,  /* args: user id, role */
    INVITE_SYNC_SQL_USER_ROLE_DEL,  /* args: user id, role */
    INVITE_SYNC_SQL_TOKEN_ADD,      /* args: user id, hash, created_at */
    INVITE_SYNC_SQL_TOKEN_DEL,      /* args: user id, hash */
    INVITE_SYNC_SQL_TOKEN_TIME,     /* args: created_at, user id, hash */
    INVITE_SYNC_SQL_ROOM_GET,       /* t, name, fname, prid; arg: id */
    INVITE_SYNC_SQL_ROOM_PUT,       /* args: id, t, name, fname, prid */
    INVITE_SYNC_SQL_ROOM_DEL,       /* arg: id (cascades) */
    INVITE_SYNC_SQL_SUB_STATE,      /* what SQL holds about a
                                     * subscription document, one round
                                     * trip: rows (kind, a, b) of kind 'm'
                                     * (the id map's pair), 'u' (its user
                                     * exists), 'r' (its room exists), 's'
                                     * (subscribed; a: status), 'o' (a: a
                                     * room role); args: sub id, user id,
                                     * rid, (user id, rid) x2 */
    INVITE_SYNC_SQL_SUB_PUT,        /* args: user id, rid, status */
    INVITE_SYNC_SQL_SUB_DEL,        /* args: user id, rid */
    INVITE_SYNC_SQL_SUB_ROLE_ADD,   /* args: user id, rid, role */
    INVITE_SYNC_SQL_SUB_ROLE_DEL,   /* args: user id, rid, role */
    INVITE_SYNC_SQL_SUB_ID_GET,     /* user_id, rid; arg: sub id */
    INVITE_SYNC_SQL_SUB_ID_PUT,     /* args: sub id, user id, rid */
    INVITE_SYNC_SQL_SUB_ID_DEL,     /* arg: sub id */
    INVITE_SYNC_SQL_PERM_ROLES,     /* rows ('r', role, NULL); arg:
                                     * permission */
    INVITE_SYNC_SQL_PERM_ROLE_ADD,  /* args: permission, role */
    INVITE_SYNC_SQL_PERM_ROLE_DEL,  /* args: permission, role */
    INVITE_SYNC_SQL_PERM_DEL,       /* arg: permission */
    INVITE_SYNC_SQL_STATE_GET,      /* value; arg: key */
    INVITE_SYNC_SQL_STATE_PUT,      /* args: key, value, now */
    INVITE_SYNC_SQL_LEASE_TAKE,     /* args: name, owner, until, now; one
                                     * row changed: taken or renewed */
    INVITE_SYNC_SQL_LEASE_GET,      /* owner, expires_at; arg: name */
    INVITE_SYNC_SQL_LEASE_RELEASE,  /* args: name, owner */
    INVITE_SYNC_SQL_OUTBOX_DUE,     /* user_id, rid, t, attempts,
                                     * last_error; args: now, max */
    INVITE_SYNC_SQL_OUTBOX_DONE,    /* args: user id, rid */
    INVITE_SYNC_SQL_OUTBOX_RETRY,   /* args: next, error, user id, rid */
    INVITE_SYNC_SQL_OUTBOX_PENDING, /* count(*) */
    INVITE_SYNC_SQL_INVITES_PUT,    /* the staged invites whose id SQL
                                     * does not hold, slot NULL (a copy's
                                     * switch with --invites); no args */
    /* Staging: one row (_1) or INVITE_SYNC_STAGE_ROWS rows (_N) per
     * statement, the columns of the staging table in order. */
    INVITE_SYNC_SQL_STAGE_INSERT_1,
    INVITE_SYNC_SQL_STAGE_INSERT_N =
        INVITE_SYNC_SQL_STAGE_INSERT_1 + INVITE_SYNC_STAGE_TABLES,
    /* Count of staged subscriptions whose user or room is not copied. */
    INVITE_SYNC_SQL_STAGE_SKIPPED =
        INVITE_SYNC_SQL_STAGE_INSERT_N + INVITE_SYNC_STAGE_TABLES,
    /* The copy's switch, run in this order in one transaction, no args:
     * the deletes of what the copy no longer holds, then the inserts and
     * updates of what differs. */
    INVITE_SYNC_SQL_SWITCH_DEL_SUBS,
    INVITE_SYNC_SQL_SWITCH_DEL_SUB_ROLES,
    INVITE_SYNC_SQL_SWITCH_DEL_TOKENS,
    INVITE_SYNC_SQL_SWITCH_DEL_USER_ROLES,
    INVITE_SYNC_SQL_SWITCH_DEL_USERS,
    INVITE_SYNC_SQL_SWITCH_DEL_ROOMS,
    INVITE_SYNC_SQL_SWITCH_DEL_SUB_IDS,
    INVITE_SYNC_SQL_SWITCH_DEL_PERM_ROLES,
    INVITE_SYNC_SQL_SWITCH_PUT_USERS,   /* first of the puts */
    INVITE_SYNC_SQL_SWITCH_PUT_ROOMS,
    INVITE_SYNC_SQL_SWITCH_PUT_USER_ROLES,
    INVITE_SYNC_SQL_SWITCH_PUT_TOKENS,
    INVITE_SYNC_SQL_SWITCH_PUT_SUBS,
    INVITE_SYNC_SQL_SWITCH_PUT_SUB_ROLES,
    INVITE_SYNC_SQL_SWITCH_PUT_SUB_IDS,
    INVITE_SYNC_SQL_SWITCH_PUT_PERM_ROLES,
    INVITE_SYNC_SQL_COUNT
} invite_sync_sql_e;

/* invite-sync's statements of an engine: INVITE_SYNC_SQL_COUNT entries. */
const invite_stmt_t *invite_sync_sql(invite_engine_e engine);

#endif
