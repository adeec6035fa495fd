/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_dbname.h - which database a server's DBDParams name, for log
 * lines (src/invite_dbname.c; httpd-free, unit-tested).
 *
 * A label names the database and never its password: the path for
 * sqlite3; for pgsql the host, hostaddr, port, dbname and user of a
 * key=value conninfo string or of a postgresql:// URI (what libpq's
 * PQconnectdb, which apr_dbd_pgsql hands the string to, accepts).
 */
#ifndef INVITE_DBNAME_H
#define INVITE_DBNAME_H

#include <apr_pools.h>

typedef struct {
    const char *driver;       /* the DBDriver as given, or "" */
    /* The database without secrets, in the driver's own syntax: the
     * sqlite3 path, or conninfo "host=... port=... dbname=... user=..."
     * (only those keys, values quoted as libpq does); "" when the
     * parameters name nothing, NULL for other drivers. */
    const char *params;
    const char *label;        /* for log lines: "<params> (<driver>)" */
    const char *sqlite_path;  /* sqlite3: the database file, else NULL */
    int sqlite_no_create;     /* a file: URI with mode=rw or mode=ro */
} invite_dbname_t;

/* Fills *out from a DBDriver name and a DBDParams string (either may be
 * NULL: not configured); everything is allocated from p. */
void invite_dbname_parse(apr_pool_t *p, const char *driver,
                         const char *params, invite_dbname_t *out);

/* The invitectl command line that runs `command` (init, migrate) on the
 * database: invitectl -d DRIVER -p PARAMS COMMAND, PARAMS quoted for a
 * POSIX shell when needed.  NULL for a driver invitectl does not know. */
const char *invite_dbname_invitectl(apr_pool_t *p, const invite_dbname_t *db,
                                    const char *command);

/* The passwords of a pgsql DBDParams string (each password=, and the
 * user:password@ of a URI), for hiding them in messages: every form, as
 * libpq decodes it and as written (quoted, escaped, %-encoded, which is
 * what libpq quotes in some errors), distinct, longest first, ending with
 * NULL.  NULL when there is none or the driver is not pgsql. */
const char **invite_dbname_passwords(apr_pool_t *p, const char *driver,
                                     const char *params);

/* The directory of a file's path: "." for a bare name, "/" for a file in
 * the root. */
const char *invite_dbname_dir(apr_pool_t *p, const char *path);

/* access(path, mode) failed because of permissions, not absence. */
int invite_dbname_denied(const char *path, int mode);

/* Why the SQLite database at `path` cannot be there: "no directory DIR"
 * or "no file PATH"; NULL when the file exists (or cannot be looked at
 * for another reason, left to the open to report). */
const char *invite_dbname_sqlite_missing(apr_pool_t *p, const char *path);

/* The files of the SQLite database at `path` that this process cannot
 * both read and write: the database, then its -wal and -shm when they
 * exist (SQLite gives a -wal or -shm it creates the database file's mode,
 * so one made while the file was read-only stays read-only after the
 * file is fixed).  Quoted for a POSIX shell where needed and joined by
 * spaces; NULL when every one can be written. */
const char *invite_dbname_sqlite_unwritable(apr_pool_t *p, const char *path);

#endif
