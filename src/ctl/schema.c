/* SPDX-License-Identifier: Apache-2.0 */
/*
 * schema.c - invitectl init, migrate and check (src/ctl/ctl.h): the
 * schema version, the schemas and migrations embedded at build time
 * (include/invitectl.h) or read from files, each applied in one
 * transaction, and the checks that mod_invite can serve the database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "invite_core.h"
#include "invite_dbname.h"
#include "invitectl.h"
#include "ctl.h"

/* The schema version: max(schema_version.version); 0 when the table is
 * empty or missing (not initialised); -1 after a message. */
static int ctl_version(ctl_db_t *db, int quiet_missing)
{
    apr_dbd_results_t *res;
    const invite_stmt_t *s = &db->engine->admin[INVITE_ADMIN_VERSION];
    long version = 0;
    int rv;

    if (!db->admin[INVITE_ADMIN_VERSION]) {
        rv = invite_dbc_prepare(&db->dbc, s,
                                &db->admin[INVITE_ADMIN_VERSION]);
        if (rv) {
            db->admin[INVITE_ADMIN_VERSION] = NULL;
            if (!quiet_missing) {
                ctl_fail(db->pool, "no schema version in the database (%s):"
                         " run 'invitectl init'", ctl_db_error(db, rv));
            }
            return quiet_missing ? 0 : -1;
        }
    }
    if (ctl_select(db, INVITE_ADMIN_VERSION, &res, 0, NULL) != CTL_OK) {
        return -1;
    }
    if (!invite_dbc_version(&db->dbc, res, &version) && !quiet_missing) {
        ctl_fail(db->pool, "no schema version in the database:"
                 " run 'invitectl init'");
        return -1;
    }
    return (int)version;
}

/* 1 when the database holds mod_invite's tables without schema_version:
 * one made before schema versions, which is version 1. */
static int ctl_predates_versions(ctl_db_t *db)
{
    const invite_stmt_t *s = &db->engine->admin[INVITE_ADMIN_HAS_TABLES];
    apr_dbd_prepared_t *probe = NULL;

    return invite_dbc_prepare(&db->dbc, s, &probe) == 0;
}

/* The statements of a SQL file: "--" comments removed, split at each ";"
 * that ends a line (the convention of conf/ and conf/migrations/). */
static apr_array_header_t *ctl_split_sql(apr_pool_t *p, const char *sql)
{
    apr_array_header_t *out = apr_array_make(p, 16, sizeof(const char *));
    char *text = apr_pstrdup(p, sql), *s, *start;

    for (s = text; *s; s++) {
        if (s[0] == '-' && s[1] == '-') {
            while (*s && *s != '\n') {
                *s++ = ' ';
            }
        }
        if (!*s) {
            break;
        }
    }
    start = text;
    for (s = text; ; s++) {
        const char *rest = s + 1;

        if (*s == ';') {
            while (*rest == ' ' || *rest == '\t' || *rest == '\r') {
                rest++;
            }
        }
        if (!*s || (*s == ';' && (*rest == '\n' || !*rest))) {
            const char *b = start, *e = s;

            while (b < e && apr_isspace(*b)) {
                b++;
            }
            if (b < e) {
                APR_ARRAY_PUSH(out, const char *) =
                    apr_pstrmemdup(p, b, e - b);
            }
            if (!*s) {
                break;
            }
            start = s + 1;
        }
    }
    return out;
}

/* Runs a SQL file's statements in one transaction and records `version`
 * in schema_version (unless record is 0: the base schema records itself).
 * SQLite's leading PRAGMAs (journal_mode) run first, outside it. */
static int ctl_apply(ctl_db_t *db, const char *name, const char *sql,
                     int version, int record)
{
    apr_array_header_t *stmts = ctl_split_sql(db->pool, sql);
    apr_dbd_transaction_t *txn;
    int i = 0, ok = CTL_OK, nrows;

    for (; i < stmts->nelts; i++) {
        const char *q = APR_ARRAY_IDX(stmts, i, const char *);
        int rv;

        if (strncasecmp(q, "PRAGMA", 6)) {
            break;
        }
        rv = ctl_pragma(db, q);
        if (rv) {
            return ctl_fail(db->pool, "%s: %s", name, ctl_db_error(db, rv));
        }
    }
    if (ctl_begin(db, &txn) != CTL_OK) {
        return CTL_FAIL;
    }
    for (; i < stmts->nelts && ok == CTL_OK; i++) {
        const char *q = APR_ARRAY_IDX(stmts, i, const char *);
        int rv = apr_dbd_query(db->dbc.driver, db->dbc.handle, &nrows, q);

        if (rv) {
            ok = ctl_fail(db->pool, "%s, statement %d: %s", name, i + 1,
                          ctl_db_error(db, rv));
        }
    }
    if (ok == CTL_OK && db->engine->id == INVITE_ENGINE_SQLITE3) {
        /* apr_dbd's sqlite3 statements do not survive a change of the
         * tables they read (SQLITE_SCHEMA): prepare them again. */
        memset(db->admin, 0, sizeof(db->admin));
    }
    if (ok == CTL_OK && record) {
        const char *args[2];

        args[0] = apr_itoa(db->pool, version);
        args[1] = apr_psprintf(db->pool, "%" APR_INT64_T_FMT,
                               (apr_int64_t)invite_time_now_ms());
        ok = ctl_query(db, INVITE_ADMIN_VERSION_RECORD, &nrows, 2, args);
    }
    if (ctl_end(db, txn, ok) != CTL_OK) {
        return ctl_fail(db->pool, "%s rolled back: nothing of it was applied",
                        name);
    }
    return CTL_OK;
}

typedef struct {
    int version;
    const char *name;
    const char *sql;
} ctl_migration_t;

static int ctl_by_version(const void *a, const void *b)
{
    const ctl_migration_t *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

/* 1 for a migration file name: NNN-name.sql. */
static int ctl_is_migration(const char *name)
{
    size_t n = strlen(name);
    return n > 8 && apr_isdigit(name[0]) && apr_isdigit(name[1])
        && apr_isdigit(name[2]) && name[3] == '-'
        && !strcmp(name + n - 4, ".sql");
}

/* The migrations of the engine (version >= 2), sorted: built in, or read
 * from dir/ENGINE when that exists, else from dir. */
static int ctl_migrations(ctl_db_t *db, const char *dir,
                          apr_array_header_t **out)
{
    apr_array_header_t *a = apr_array_make(db->pool, 8,
                                           sizeof(ctl_migration_t));
    int i;

    if (!dir) {
        const invite_ctl_sql_file_t *f;

        for (f = invite_ctl_embedded_sql; f->engine; f++) {
            if (f->version > 1 && !strcmp(f->engine, db->driver_name)) {
                ctl_migration_t *m = apr_array_push(a);
                m->version = f->version;
                m->name = f->name;
                m->sql = f->sql;
            }
        }
    }
    else {
        apr_dir_t *d;
        apr_finfo_t fi;
        apr_status_t rv;
        char why[256];
        const char *sub = apr_pstrcat(db->pool, dir, "/", db->driver_name,
                                      NULL);

        if (apr_stat(&fi, sub, APR_FINFO_TYPE, db->pool) == APR_SUCCESS
            && fi.filetype == APR_DIR) {
            dir = sub;
        }
        if ((rv = apr_dir_open(&d, dir, db->pool)) != APR_SUCCESS) {
            return ctl_fail(db->pool, "cannot read the directory %s: %s", dir,
                            apr_strerror(rv, why, sizeof(why)));
        }
        while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d)
               == APR_SUCCESS) {
            ctl_migration_t *m;
            char *text;
            apr_size_t len;
            apr_file_t *f;
            apr_finfo_t st;
            const char *path;

            if (fi.filetype != APR_REG || !ctl_is_migration(fi.name)) {
                continue;
            }
            path = apr_pstrcat(db->pool, dir, "/", fi.name, NULL);
            if ((rv = apr_file_open(&f, path, APR_FOPEN_READ, 0, db->pool))
                != APR_SUCCESS) {
                apr_dir_close(d);
                return ctl_fail(db->pool, "cannot read %s: %s", path,
                                apr_strerror(rv, why, sizeof(why)));
            }
            if ((rv = apr_file_info_get(&st, APR_FINFO_SIZE, f))
                == APR_SUCCESS) {
                len = (apr_size_t)st.size;
                text = apr_palloc(db->pool, len + 1);
                rv = apr_file_read_full(f, text, len, NULL);
            }
            if (rv != APR_SUCCESS) {
                apr_file_close(f);
                apr_dir_close(d);
                return ctl_fail(db->pool, "cannot read %s: %s", path,
                                apr_strerror(rv, why, sizeof(why)));
            }
            text[len] = '\0';
            apr_file_close(f);
            m = apr_array_push(a);
            m->version = atoi(fi.name);
            m->name = apr_pstrdup(db->pool, fi.name);
            m->sql = text;
        }
        apr_dir_close(d);
    }
    qsort(a->elts, a->nelts, sizeof(ctl_migration_t), ctl_by_version);
    for (i = 0; i < a->nelts; i++) {
        ctl_migration_t *m = &APR_ARRAY_IDX(a, i, ctl_migration_t);

        if (m->version < 2) {
            return ctl_fail(db->pool, "migration %s: numbers start at 002"
                            " (001 is the base schema)", m->name);
        }
        if (i && m->version
                 == APR_ARRAY_IDX(a, i - 1, ctl_migration_t).version) {
            return ctl_fail(db->pool, "two migrations numbered %03d",
                            m->version);
        }
    }
    *out = a;
    return CTL_OK;
}

/* Applies the migrations newer than the database, in order; *version is
 * updated as each commits. */
static int ctl_apply_migrations(ctl_db_t *db, apr_array_header_t *migs,
                                int *version)
{
    int i;

    for (i = 0; i < migs->nelts; i++) {
        ctl_migration_t *m = &APR_ARRAY_IDX(migs, i, ctl_migration_t);

        if (m->version <= *version) {
            continue;
        }
        if (ctl_apply(db, m->name, m->sql, m->version, 1) != CTL_OK) {
            return ctl_fail(db->pool, "migration failed: the database stays"
                            " at schema version %d", *version);
        }
        *version = m->version;
        printf("applied %s: schema version %d\n", m->name, m->version);
    }
    return CTL_OK;
}

static int cmd_init(ctl_db_t *db, apr_array_header_t *args,
                    apr_array_header_t **opts)
{
    const invite_ctl_sql_file_t *f;
    apr_array_header_t *migs;
    int version;

    (void)opts;
    if ((version = ctl_connect_bare(db, "init", args, 0)) != CTL_OK) {
        return version;
    }
    version = ctl_version(db, 1);
    if (version < 0) {
        return CTL_FAIL;
    }
    if (version == 0 && ctl_predates_versions(db)) {
        return ctl_fail(db->pool, "the database holds mod_invite's tables"
                        " from before schema versions: run 'invitectl"
                        " migrate'");
    }
    if (version == INVITE_SCHEMA_VERSION) {
        printf("already initialised: schema version %d\n", version);
        return CTL_OK;
    }
    if (version > 0) {
        return ctl_fail(db->pool, "the database holds schema version %d, this"
                        " invitectl creates version %d: %s", version,
                        INVITE_SCHEMA_VERSION,
                        version < INVITE_SCHEMA_VERSION
                        ? "run 'invitectl migrate'"
                        : "use the invitectl of a newer mod_invite");
    }
    for (f = invite_ctl_embedded_sql; f->engine; f++) {
        if (f->version == 1 && !strcmp(f->engine, db->driver_name)) {
            break;
        }
    }
    if (!f->engine) {
        return ctl_fail(db->pool, "no built-in schema for %s",
                        db->driver_name);
    }
    /* The schema file is the newest schema and records its own version;
     * the migrations above it (none, in a consistent build) follow. */
    if (ctl_apply(db, f->name, f->sql, 1, 0) != CTL_OK) {
        return CTL_FAIL;
    }
    version = ctl_version(db, 0);
    if (version < 1) {
        return CTL_FAIL;
    }
    if (ctl_migrations(db, NULL, &migs) != CTL_OK
        || ctl_apply_migrations(db, migs, &version) != CTL_OK) {
        return CTL_FAIL;
    }
    printf("initialised: schema version %d\n", version);
    db->check_apache_user = 1;
    return CTL_OK;
}

/* schema_version as the first schema file with versions created it (the
 * types suit both engines; later migrations change it like any table). */
#define PREVERSION_TABLE \
    "CREATE TABLE schema_version (version integer NOT NULL PRIMARY KEY," \
    " applied_at bigint NOT NULL);\n"

/* migrate's options, by their index in opts. */
enum { MIGRATE_STATUS, MIGRATE_MIGRATIONS };

static const ctl_option_t migrate_options[] = {
    [MIGRATE_STATUS] = { "--status", 0 },
    [MIGRATE_MIGRATIONS] = { "--migrations", 1 },
    { NULL, 0 }
};

static int cmd_migrate(ctl_db_t *db, apr_array_header_t *args,
                       apr_array_header_t **opts)
{
    apr_array_header_t *migs;
    int version, from, latest = 1, i, recorded = 0;

    if ((version = ctl_connect_bare(db, "migrate", args, 1)) != CTL_OK) {
        return version;
    }
    version = ctl_version(db, 1);
    if (version == 0 && opts[MIGRATE_STATUS]->nelts
        && ctl_predates_versions(db)) {
        version = 1;   /* --status changes nothing */
    }
    else if (version == 0 && ctl_predates_versions(db)) {
        /* Its tables are those of the first schema file: record that, in
         * the table that file now creates, and migrate from there. */
        if (ctl_apply(db, "schema_version", PREVERSION_TABLE, 1, 1)
            != CTL_OK) {
            return CTL_FAIL;
        }
        printf("recorded schema version 1: the database predates schema"
               " versions\n");
        recorded = 1;
        version = ctl_version(db, 0);
    }
    else if (version == 0) {
        version = ctl_version(db, 0);   /* says: run 'invitectl init' */
    }
    if (version < 0) {
        return CTL_FAIL;
    }
    if (ctl_migrations(db, ctl_opt(opts[MIGRATE_MIGRATIONS]), &migs)
        != CTL_OK) {
        return CTL_FAIL;
    }
    if (migs->nelts) {
        latest = APR_ARRAY_IDX(migs, migs->nelts - 1, ctl_migration_t).version;
    }
    if (opts[MIGRATE_STATUS]->nelts) {
        printf("schema version: %d\n", version);
        printf("latest migration: %d\n", latest);
        printf("this build serves: %d\n", INVITE_SCHEMA_VERSION);
        for (i = 0; i < migs->nelts; i++) {
            ctl_migration_t *m = &APR_ARRAY_IDX(migs, i, ctl_migration_t);
            if (m->version > version) {
                printf("pending: %s\n", m->name);
            }
        }
        return version > latest ? ctl_fail(db->pool, "the database is newer"
                                           " than every known migration")
                                : CTL_OK;
    }
    if (version > latest) {
        return ctl_fail(db->pool, "the database holds schema version %d,"
                        " newer than every migration known here (latest %d):"
                        " use the invitectl of a newer mod_invite", version,
                        latest);
    }
    from = version;
    if (ctl_apply_migrations(db, migs, &version) != CTL_OK) {
        return CTL_FAIL;
    }
    printf("schema version %d: up to date\n", version);
    /* mod_invite checks the version again when the schema changes under
     * its connections (mod_invite_db.c, forget_statements). */
    if (version != from) {
        printf("running servers take the new schema up on their next "
               "request: no restart needed\n");
    }
    db->check_apache_user = version != from || recorded;
    return CTL_OK;
}

/* SQLite: whether this user can write the database, by taking its write
 * lock and giving it back unused (BEGIN IMMEDIATE; ROLLBACK).  Reads pass
 * on a database whose -wal or -shm is read-only; every write fails. */
static int ctl_check_write(ctl_db_t *db)
{
    invite_dbname_t name;
    const char *files;
    int nrows = 0;
    int rv = apr_dbd_query(db->dbc.driver, db->dbc.handle, &nrows,
                           "BEGIN IMMEDIATE");

    if (rv == 0) {
        rv = apr_dbd_query(db->dbc.driver, db->dbc.handle, &nrows,
                           "ROLLBACK");
        if (rv == 0) {
            return CTL_OK;
        }
    }
    invite_dbname_parse(db->pool, db->driver_name, db->params, &name);
    files = name.sqlite_path
            ? invite_dbname_sqlite_unwritable(db->pool, name.sqlite_path)
            : NULL;
    return ctl_fail(db->pool, "cannot write the database (BEGIN IMMEDIATE): "
                    "%s%s%s", ctl_db_error(db, rv),
                    files ? "; this user cannot write " : "",
                    files ? files : "");
}

/* invite-sync behind by more than this is a warning of check (it writes
 * its heartbeat at least every 10 s), and so is a join left undelivered
 * for longer than CTL_OUTBOX_AGE_WARN_S. */
#define CTL_SYNC_LAG_WARN_S 60
#define CTL_OUTBOX_AGE_WARN_S 300

/* A sync_state time (epoch ms) as "ISO (N s ago)", "-" for none, or the
 * value itself when it is no time. */
static const char *ctl_sync_time(apr_pool_t *p, const char *value,
                                 invite_ms_t now)
{
    invite_ms_t ms;
    const char *iso;

    if (!value) {
        return "-";
    }
    if (!invite_time_parse_ms(value, &ms)
        || !(iso = invite_time_iso(p, ms))) {
        return value;
    }
    return apr_psprintf(p, "%s (%" APR_INT64_T_FMT " s ago)", iso,
                        (apr_int64_t)invite_time_age_s(ms, now));
}

/* The one row of a statement without arguments, its columns copied into
 * cols[0..n-1] (NULL for SQL NULL): CTL_OK, or CTL_FAIL after a message. */
static int ctl_select_one(ctl_db_t *db, invite_admin_stmt_e i,
                          const char **cols, int n)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    int c;

    if (ctl_select(db, i, &res, 0, NULL) != CTL_OK) {
        return CTL_FAIL;
    }
    if (!ctl_row(db, res, &row)) {
        return ctl_fail(db->pool, "%s: no row", db->engine->admin[i].label);
    }
    for (c = 0; c < n; c++) {
        const char *v = ctl_col(db, row, c);
        cols[c] = v ? apr_pstrdup(db->pool, v) : NULL;
    }
    invite_dbc_drain(&db->dbc, res, &row);
    return CTL_OK;
}

/* check's report of invite-sync (docs/invite-sync.8), once it has run on
 * this database (sync_state has rows): its source, the last event
 * applied, the lag since its last heartbeat, the last full copy, and the
 * joins waiting in join_outbox.  Returns the number of warnings, or -1
 * after a message. */
static int ctl_sync_report(ctl_db_t *db)
{
    enum { SOURCE, LAST_EVENT, LAST_OK, LAST_FULL_COPY, KEYS };
    static const char *const keys[KEYS] = {
        "source", "last_event_at", "last_ok_at", "last_full_copy_at"
    };
    const char *value[KEYS] = { NULL }, *updated[KEYS] = { NULL };
    const char *outbox[2];
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    invite_ms_t now = invite_time_now_ms(), at;
    long long pending = 0, lag = -1, oldest = -1;
    int rows = 0, k, warnings = 0;

    if (ctl_select(db, INVITE_ADMIN_SYNC_STATE, &res, 0, NULL) != CTL_OK) {
        return -1;
    }
    while (ctl_row(db, res, &row)) {
        const char *key = ctl_col(db, row, 0);

        rows++;
        for (k = 0; key && k < KEYS; k++) {
            if (!strcmp(key, keys[k])) {
                const char *v = ctl_col(db, row, 1), *u = ctl_col(db, row, 2);
                value[k] = v ? apr_pstrdup(db->pool, v) : NULL;
                updated[k] = u ? apr_pstrdup(db->pool, u) : NULL;
            }
        }
    }
    if (ctl_select_one(db, INVITE_ADMIN_OUTBOX_STATS, outbox, 2) != CTL_OK) {
        return -1;
    }
    if (invite_time_parse_ms(outbox[0], &at)) {
        pending = at;
    }
    if (pending && invite_time_parse_ms(outbox[1], &at)) {
        oldest = invite_time_age_s(at, now);
    }
    if (!rows) {
        /* No invite-sync here: the outbox only fills. */
        if (pending) {
            printf("join outbox: %lld pending, and no invite-sync has run on "
                   "this database (InviteJoinOutbox Off, or invitectl purge "
                   "--outbox-days N)\n", pending);
        }
        return 0;
    }
    /* The heartbeat: its value, else the time the row was written. */
    if (invite_time_parse_ms(value[LAST_OK], &at)
        || invite_time_parse_ms(updated[LAST_OK], &at)) {
        lag = invite_time_age_s(at, now);
    }
    printf("sync source: %s\n", value[SOURCE] ? value[SOURCE] : "-");
    printf("sync last event: %s\n",
           ctl_sync_time(db->pool, value[LAST_EVENT], now));
    if (lag >= 0) {
        printf("sync lag: %lld s\n", lag);
    }
    else {
        printf("sync lag: - (no heartbeat recorded)\n");
    }
    printf("sync last full copy: %s\n",
           ctl_sync_time(db->pool, value[LAST_FULL_COPY], now));
    printf("join outbox: %lld pending\n", pending);
    if (oldest >= 0) {
        printf("join outbox oldest: %lld s\n", oldest);
    }
    if (lag < 0 || lag > CTL_SYNC_LAG_WARN_S) {
        printf("warning: invite-sync %s: is it running? Until it catches "
               "up, revoked login tokens stay valid and new ones are "
               "refused\n",
               lag < 0 ? "has recorded no heartbeat (last_ok_at)"
               : apr_psprintf(db->pool, "is %" APR_INT64_T_FMT
                              " s behind (over %d s)", (apr_int64_t)lag,
                              CTL_SYNC_LAG_WARN_S));
        warnings++;
    }
    if (oldest > CTL_OUTBOX_AGE_WARN_S) {
        printf("warning: a join has waited %lld s in join_outbox (over %d "
               "s): invite-sync cannot hand joins to Rocket.Chat (see its "
               "log)\n", oldest, CTL_OUTBOX_AGE_WARN_S);
        warnings++;
    }
    return warnings;
}

static int cmd_check(ctl_db_t *db, apr_array_header_t *args,
                     apr_array_header_t **opts)
{
    int version, i, failed = 0, prepared = 0, warnings = 0;

    (void)opts;
    if ((version = ctl_connect_bare(db, "check", args, 1)) != CTL_OK) {
        return version;
    }
    version = ctl_version(db, 0);
    if (version < 0) {
        return CTL_FAIL;
    }
    printf("schema version: %d (this build serves %d)\n", version,
           INVITE_SCHEMA_VERSION);
    if (version != INVITE_SCHEMA_VERSION) {
        ctl_fail(db->pool, "schema version %d, but this build serves %d: %s",
                 version, INVITE_SCHEMA_VERSION,
                 version < INVITE_SCHEMA_VERSION ? "run 'invitectl migrate'"
                 : "the database is newer than this mod_invite");
        failed++;
    }
    for (i = 0; i < INVITE_STMT_COUNT; i++) {
        const invite_stmt_t *s = &db->engine->statements[i];
        apr_dbd_prepared_t *st = NULL;   /* pgsql fills a non-NULL one */
        int rv;

        if (!s->sql) {
            continue;
        }
        rv = invite_dbc_prepare(&db->dbc, s, &st);
        if (rv) {
            ctl_fail(db->pool, "module statement %s: %s", s->label,
                     ctl_db_error(db, rv));
            failed++;
        }
        else {
            prepared++;
        }
    }
    printf("module statements prepared: %d\n", prepared);
    prepared = 0;
    for (i = 0; i < INVITE_ADMIN_COUNT; i++) {
        if (ctl_stmt(db, i)) {
            prepared++;
        }
        else {
            failed++;
        }
    }
    printf("admin statements prepared: %d\n", prepared);
    if (db->engine->id == INVITE_ENGINE_SQLITE3) {
        if (ctl_check_write(db) == CTL_OK) {
            printf("write lock taken and released\n");
        }
        else {
            failed++;
        }
    }
    /* The sync report needs the tables of this build's schema. */
    if (!failed) {
        warnings = ctl_sync_report(db);
        if (warnings < 0) {
            failed++;
        }
    }
    if (failed) {
        return ctl_fail(db->pool, "check failed: %d problem%s", failed,
                        failed > 1 ? "s" : "");
    }
    if (warnings) {
        printf("ok, with %d warning%s\n", warnings, warnings > 1 ? "s" : "");
        return CTL_WARN;
    }
    printf("ok\n");
    return CTL_OK;
}

const ctl_command_t ctl_cmd_init = {
    "init", NULL, cmd_init, "init",
    "Creates the schema (built in) and applies the built-in migrations.\n"
    "Does nothing on a database already at this build's schema version;\n"
    "refuses one at another version.\n"
};

const ctl_command_t ctl_cmd_migrate = {
    "migrate", migrate_options, cmd_migrate,
    "migrate [--status] [--migrations DIR]",
    "Applies the migrations newer than the database's schema version, in\n"
    "order, each in one transaction recorded in schema_version.\n"
    "  --status          show the versions and pending migrations only\n"
    "  --migrations DIR  read NNN-name.sql files from DIR/ENGINE (or DIR)\n"
    "                    instead of the built-in ones\n"
};

const ctl_command_t ctl_cmd_check = {
    "check", NULL, cmd_check, "check",
    "Connects, checks that the schema version is the one this build\n"
    "serves and prepares every module and admin statement.  On SQLite it\n"
    "also takes the write lock and releases it (BEGIN IMMEDIATE;\n"
    "ROLLBACK): run it as the user httpd runs as.  Once invite-sync has\n"
    "run on the database it reports its source, last event, lag, last full\n"
    "copy and the joins waiting in join_outbox; a lag over 60 s or a join\n"
    "waiting over 5 minutes is a warning, and the exit status is then 3.\n"
};
