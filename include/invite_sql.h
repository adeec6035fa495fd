/*
 * invite_sql.h - the prepared statements of mod_invite (src/invite_sql.c),
 * one set per database engine.
 *
 * The schemas are conf/schema-sqlite3.sql and conf/schema-pgsql.sql.  Both
 * sets share labels and result columns; the SQL differs where each engine
 * has a faster form (one-statement create on PostgreSQL, its aggregate
 * names), so `InviteDBD On` registers the set of the server's DBDriver.
 */
#ifndef INVITE_SQL_H
#define INVITE_SQL_H

typedef enum {
    INVITE_STMT_FIND,          /* auth + permission + room + live invite */
    INVITE_STMT_FIND_INVITE,   /* the live invite alone (InviteAuthCache) */
    INVITE_STMT_RELEASE_SLOT,  /* sqlite3: free the slot of a dead invite */
    INVITE_STMT_CREATE,        /* new invite taking the slot, or nothing
                                * (pgsql: releases a dead holder first) */
    INVITE_STMT_SLOT_HOLDER,   /* the invite holding the slot */
    INVITE_STMT_SESSION,       /* run once per new connection, or NULL */
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

typedef struct {
    invite_engine_e id;
    const char *driver;                /* apr_dbd driver name */
    const invite_stmt_t *statements;   /* INVITE_STMT_COUNT entries */
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

#endif
