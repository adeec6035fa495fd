/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl.h - invitectl's parts (docs/invitectl.8): the command table and
 * what its families share.
 *
 *   main.c    messages, options, help, the table and main()
 *   db.c      the database connection and the admin statements
 *   conf.c    the Apache configuration (-f) and Apache's user (-u)
 *   schema.c  init, migrate, check
 *   users.c   user, room, member, permission
 *   tokens.c  token
 *   purge.c   stats, purge
 *
 * A command is a row (ctl_command_t) in the family file that runs it,
 * declared below, and a line in main.c's ctl_commands, which orders
 * `invitectl --help`; main.c finds it by name, parses its options and
 * runs its handler.
 */
#ifndef INVITE_CTL_H
#define INVITE_CTL_H

#include <apr_dbd.h>
#include <apr_pools.h>
#include <apr_tables.h>

#include "invite_dbc.h"
#include "invite_sql.h"

#define CTL_OK 0
#define CTL_FAIL 1
#define CTL_USAGE 2
#define CTL_WARN 3              /* check: the database serves, but with
                                * warnings (invite-sync behind) */

#define CTL_ID_MAX 64          /* bytes of an id given (--id, --prid) */
#define CTL_NAME_MAX 255       /* bytes of a name, role, permission, hash,
                                * or USER / ROOM argument */

typedef struct {
    apr_pool_t *pool;
    const char *driver_name;
    const char *params;
    invite_dbc_t dbc;              /* the connection, once ctl_connect
                                    * made it */
    const invite_engine_t *engine;
    apr_dbd_prepared_t *admin[INVITE_ADMIN_COUNT];
    const char **passwords;        /* of DBDParams, every form (NULL
                                    * ended), or NULL: never printed */
    const char *sqlite_file;       /* the SQLite file's path, or NULL */
    const char *apache_user;       /* Apache's user (User), for the check
                                    * after init and migrate */
    const char *apache_user_from;  /* where that came from */
    int check_apache_user;         /* init or migrate wrote: check, once
                                    * closed (ctl_check_apache_user) */
} ctl_db_t;

/* ------------------------------------------------------ command table */

/* An option of a command: "--name" alone, or "--name VALUE" (or
 * --name=VALUE); any may be given more than once. */
typedef struct {
    const char *name;
    int takes_value;
} ctl_option_t;

/* Runs a command.  args: its words that are not options, the subcommand
 * (add, del...) first; opts[i]: the values of the command's options[i]
 * as given, in order ("1" for each flag).  CTL_OK, CTL_FAIL or
 * CTL_USAGE, after a message. */
typedef int (*ctl_handler_t)(ctl_db_t *db, apr_array_header_t *args,
                             apr_array_header_t **opts);

typedef struct ctl_command_s ctl_command_t;

struct ctl_command_s {
    const char *name;
    const ctl_option_t *options;      /* NULL-name ended, or NULL: none */
    ctl_handler_t handler;
    const char *synopsis;             /* its lines of the usage */
    const char *help;                 /* `invitectl help NAME` */
    const ctl_command_t *subcommands; /* NULL-name ended, or NULL: a row
                                       * whose name is the first word
                                       * after the command replaces its
                                       * options and handler (user add) */
};

/* The rows, in their family files. */
extern const ctl_command_t ctl_cmd_init, ctl_cmd_migrate, ctl_cmd_check;
extern const ctl_command_t ctl_cmd_user, ctl_cmd_room, ctl_cmd_member,
                           ctl_cmd_permission;
extern const ctl_command_t ctl_cmd_token;
extern const ctl_command_t ctl_cmd_stats, ctl_cmd_purge;

/* ------------------------------------------------ messages (main.c) */

/* "invitectl: MSG" on stderr, with the DBDParams passwords of the
 * database being run on replaced by "***": CTL_FAIL. */
int ctl_fail(apr_pool_t *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The message and "Try 'invitectl [CMD ]--help'." on stderr: CTL_USAGE. */
int ctl_usage_error(apr_pool_t *p, const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ------------------------------------------------- options (main.c) */

/* The last value of an option, or NULL. */
const char *ctl_opt(const apr_array_header_t *values);

/* A whole number in [min, max] from s, or -1. */
long long ctl_number(const char *s, long long min, long long max);

/* CTL_OK when s (NULL: not given) is 1 to max bytes without control
 * characters (below 0x20, and 0x7f), else CTL_USAGE after a message that
 * names `what` of command cmd, never s itself. */
int ctl_text(apr_pool_t *p, const char *cmd, const char *what,
             const char *s, size_t max);

/* ctl_text for each of a[from..], names, roles or permissions. */
int ctl_texts(apr_pool_t *p, const char *cmd, const char *what,
              const apr_array_header_t *a, int from);

/* ------------------------------------------------------ database (db.c) */

/* The database's message for rv: its first line, without libpq's
 * "ERROR:  " prefix; for SQLite's "readonly" and "unable to open", what
 * the caller may not do that SQLite needs. */
const char *ctl_db_error(ctl_db_t *db, int rv);

/* Runs a SQLite PRAGMA, which may return a row (apr_dbd_query takes
 * that for an error): 0 or the driver's error code. */
int ctl_pragma(ctl_db_t *db, const char *pragma);

/* Opens the database.  must_exist: a SQLite file that is not there is an
 * error (sqlite3_open would create an empty one), and so is one that
 * cannot be read, with the reason. */
int ctl_connect(ctl_db_t *db, int must_exist);

/* ctl_connect for a command that takes no arguments: a usage error for
 * any. */
int ctl_connect_bare(ctl_db_t *db, const char *cmd,
                     const apr_array_header_t *args, int must_exist);

void ctl_close(ctl_db_t *db);

/* An admin statement, prepared on first use; NULL after a message. */
apr_dbd_prepared_t *ctl_stmt(ctl_db_t *db, invite_admin_stmt_e i);

/* Runs admin statement i with nargs string arguments (NULL: SQL NULL);
 * *nrows gets the rows changed.  CTL_OK or CTL_FAIL after a message. */
int ctl_query(ctl_db_t *db, invite_admin_stmt_e i, int *nrows, int nargs,
              const char **args);

/* Selects with admin statement i; rows are read with ctl_row. */
int ctl_select(ctl_db_t *db, invite_admin_stmt_e i, apr_dbd_results_t **res,
               int nargs, const char **args);

/* The next row into *row, which is NULL before the first call and then
 * the driver's (pgsql advances it), or NULL at the end, where pgsql may
 * free the result: copy what must outlive it. */
apr_dbd_row_t *ctl_row(ctl_db_t *db, apr_dbd_results_t *res,
                       apr_dbd_row_t **row);

/* Column col as a string; NULL for SQL NULL (on both engines). */
const char *ctl_col(ctl_db_t *db, apr_dbd_row_t *row, int col);

int ctl_begin(ctl_db_t *db, apr_dbd_transaction_t **txn);

/* Commits when ok (and nothing failed inside), else rolls back.  Returns
 * CTL_OK only for a commit. */
int ctl_end(ctl_db_t *db, apr_dbd_transaction_t *txn, int ok);

/* ------------------------------------------ users and rooms (users.c) */

/* How a USER or ROOM argument is read. */
typedef enum {
    CTL_BY_EITHER,    /* as an id or as a username / room name */
    CTL_BY_ID,        /* --id */
    CTL_BY_NAME       /* --name */
} ctl_by_e;

/* *by from a command's --id and --name flags; a usage error for both. */
int ctl_by(apr_pool_t *p, const char *cmd, const apr_array_header_t *id,
           const apr_array_header_t *name, ctl_by_e *by);

/* The id of the user (stmt INVITE_ADMIN_USER_FIND) or room (ROOM_FIND)
 * that key names, read as `by` says; NULL after a message. */
const char *ctl_find(ctl_db_t *db, invite_admin_stmt_e stmt, const char *key,
                     ctl_by_e by);

/* Connects and finds the user or room that args[i] names: its id, or
 * NULL after a message. */
const char *ctl_connect_find(ctl_db_t *db, invite_admin_stmt_e stmt,
                             const apr_array_header_t *args, int i,
                             ctl_by_e by);

/* ------------------------------------ Apache configuration (conf.c) */

/* DBDriver, DBDParams and User from an Apache configuration file (-f). */
int ctl_read_conf(apr_pool_t *p, const char *file, const char **driver,
                  const char **params, const char **user);

/* db->apache_user, db->apache_user_from: -u USER (given), else User of the
 * -f file (conf_user), else www-data, Debian's. */
void ctl_apache_user(ctl_db_t *db, const char *given, const char *conf_user,
                     const char *file);

/* After init or migrate changed a SQLite database (and closed it): warns
 * when Apache's user could not reach or write it. */
void ctl_check_apache_user(ctl_db_t *db);

#endif
