/*
 * invite_sql.h - the prepared statements of mod_invite (src/invite_sql.c).
 *
 * The statements are written in the SQL that SQLite (>= 3.24) and
 * PostgreSQL (>= 9.5) share, so one set serves both apr_dbd drivers; the
 * schemas are conf/schema-sqlite3.sql and conf/schema-pgsql.sql.
 */
#ifndef INVITE_SQL_H
#define INVITE_SQL_H

typedef enum {
    INVITE_STMT_FIND,          /* auth + permission + room + live invite */
    INVITE_STMT_RELEASE_SLOT,  /* free the creation slot of a dead invite */
    INVITE_STMT_INSERT,        /* new invite taking the slot, or nothing */
    INVITE_STMT_SLOT_HOLDER,   /* the invite holding the slot */
    INVITE_STMT_COUNT
} invite_stmt_e;

typedef struct {
    const char *label;   /* [a-z_][a-z0-9_]*: pgsql uses it as identifier */
    const char *sql;     /* apr_dbd format codes: %s %d %lld, %% literal */
} invite_stmt_t;

extern const invite_stmt_t invite_statements[INVITE_STMT_COUNT];

/* Column positions of INVITE_STMT_FIND's result. */
enum {
    INVITE_FIND_COL_HASHED_TOKEN,
    INVITE_FIND_COL_GRANTED,
    INVITE_FIND_COL_SUBSCRIBED,
    INVITE_FIND_COL_ROOM_TYPE,
    INVITE_FIND_COL_INVITE      /* first of the INVITE_COL_* block */
};

/* Column positions of an invite block (INVITE_STMT_FIND from
 * INVITE_FIND_COL_INVITE on, INVITE_STMT_SLOT_HOLDER from 0). */
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
