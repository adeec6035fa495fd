/*
 * invitectl - mod_invite's admin command (docs/invitectl.8).
 *
 * It reaches the database through apr_dbd, with the drivers and DBDParams
 * strings the module uses, and runs only the statements of
 * src/invite_sql.c: the admin set (INVITE_ADMIN_*) for data, the module's
 * own set for `check`.  DDL comes from the schemas and migrations embedded
 * at build time (include/invitectl.h) or, for `migrate --migrations DIR`,
 * from files.
 *
 * Exit status: 0 success, 1 failure (a message "invitectl: ..." on
 * stderr), 2 usage error.  Tokens are printed once, by `token add`, and
 * never otherwise; DBDParams passwords never appear in messages.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_base64.h>
#include <apr_dbd.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <openssl/crypto.h>

#include "invite_core.h"
#include "invite_dbname.h"
#include "invite_sql.h"
#include "invite_version.h"
#include "invitectl.h"

#define CTL_OK 0
#define CTL_FAIL 1
#define CTL_USAGE 2

#define CTL_ID_LEN 17          /* Rocket.Chat's Random.id() */
#define CTL_ID_MAX 64          /* bytes of an id given (--id, --prid) */
#define CTL_NAME_MAX 255       /* bytes of a name, role, permission, hash,
                                * or USER / ROOM argument */
#define CTL_TOKEN_BYTES 32     /* 43 characters, as Random.secret() */
#define CTL_PURGE_DAYS 30
#define CTL_PURGE_BATCH 500
#define CTL_PURGE_BATCH_MAX 10000

typedef struct {
    apr_pool_t *pool;
    const char *driver_name;
    const char *params;
    const apr_dbd_driver_t *driver;
    apr_dbd_t *handle;
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

static const char *ctl_sqlite_denied(apr_pool_t *p, const char *path);

/* ------------------------------------------------------------ messages */

static ctl_db_t *ctl_current;   /* for redaction in ctl_fail */

/* msg with each form of the DBDParams passwords (decoded and as
 * written) replaced by "***". */
static const char *ctl_redact(apr_pool_t *p, const char *msg)
{
    const char **s = ctl_current ? ctl_current->passwords : NULL;
    const char *hit;
    size_t from;

    /* The search goes on after each "***" (a password may be "*"). */
    for (; s && *s && msg; s++)
        for (from = 0; (hit = strstr(msg + from, *s)) != NULL; from += 3) {
            from = hit - msg;
            msg = apr_pstrcat(p, apr_pstrmemdup(p, msg, from), "***",
                              hit + strlen(*s), NULL);
        }
    return msg;
}

static int ctl_fail(apr_pool_t *p, const char *fmt, ...)
{
    va_list ap;
    const char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    fprintf(stderr, "invitectl: %s\n", ctl_redact(p, msg));
    return CTL_FAIL;
}

static int ctl_usage_error(apr_pool_t *p, const char *cmd, const char *fmt,
                           ...)
{
    va_list ap;
    const char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    fprintf(stderr, "invitectl: %s\nTry 'invitectl %s%s--help'.\n", msg,
            cmd ? cmd : "", cmd ? " " : "");
    return CTL_USAGE;
}

/* The database's message for rv: its first line, without libpq's
 * "ERROR:  " prefix; for SQLite's "readonly" and "unable to open", what
 * the caller may not do that SQLite needs. */
static const char *ctl_db_error(ctl_db_t *db, int rv)
{
    const char *e = apr_dbd_error(db->driver, db->handle, rv);
    size_t n;

    if (!e || !*e)
        return apr_psprintf(db->pool, "database error %d", rv);
    if (!strncmp(e, "ERROR:  ", 8))
        e += 8;
    n = strcspn(e, "\n");
    e = apr_pstrmemdup(db->pool, e, n);
    /* (apr_dbd passes on SQLITE_ERROR for them, from sqlite3_step.) */
    if (db->sqlite_file && (strstr(e, "readonly database")
                            || strstr(e, "unable to open database file")))
        e = apr_pstrcat(db->pool, e,
                        ctl_sqlite_denied(db->pool, db->sqlite_file), NULL);
    return e;
}

/* ---------------------------------------------------------------- help */

typedef struct {
    const char *name;
    const char *usage;
    const char *help;
} ctl_help_t;

static const ctl_help_t ctl_helps[] = {
    { "init", "init",
      "Creates the schema (built in) and applies the built-in migrations.\n"
      "Does nothing on a database already at this build's schema version;\n"
      "refuses one at another version.\n" },
    { "migrate", "migrate [--status] [--migrations DIR]",
      "Applies the migrations newer than the database's schema version, in\n"
      "order, each in one transaction recorded in schema_version.\n"
      "  --status          show the versions and pending migrations only\n"
      "  --migrations DIR  read NNN-name.sql files from DIR/ENGINE (or DIR)\n"
      "                    instead of the built-in ones\n" },
    { "check", "check",
      "Connects, checks that the schema version is the one this build\n"
      "serves and prepares every module and admin statement.  On SQLite it\n"
      "also takes the write lock and releases it (BEGIN IMMEDIATE;\n"
      "ROLLBACK): run it as the user httpd runs as.\n" },
    { "stats", "stats",
      "Counts users, rooms, subscriptions, tokens, invites (live, expired,\n"
      "used up) and shows the schema version.\n" },
    { "user", "user add [--id ID] [--role ROLE]... USERNAME\n"
              "       user del [--id|--name] USER\n"
              "       user roles [--id|--name] USER [add|del ROLE...]\n"
              "       user show [--id|--name] USER",
      "USER is a user id or username (only an id with --id, only a\n"
      "username with --name); one that is the id of a user and the\n"
      "username of another is refused.  `user add` prints the new id (17\n"
      "characters, Rocket.Chat style, unless --id gives one); an id or\n"
      "username that is already a user's id or username is refused.\n"
      "`user roles` lists the global roles, or adds or removes some.\n"
      "`user show` prints the id, username, global roles, number of login\n"
      "tokens (never the tokens or hashes) and rooms with room roles.\n" },
    { "room", "room add [--id ID] [--type c|p|d|l|v] [--fname FNAME]\n"
              "       [--prid ID] NAME\n"
              "       room del [--id|--name] ROOM",
      "ROOM is a room id or name (only an id with --id, only a name with\n"
      "--name); one that is the id of a room and the name of another is\n"
      "refused.  `room add` prints the new id; the type defaults to c\n"
      "(public); an id or name that is already a room's id or name is\n"
      "refused.\n" },
    { "member", "member add [--id|--name] [--role ROLE]... USER ROOM\n"
                "       member del [--id|--name] USER ROOM",
      "Subscribes USER to ROOM, with room roles (owner, moderator, ...), or\n"
      "removes the subscription and its roles.  --id or --name: both USER\n"
      "and ROOM are ids, or names.\n" },
    { "permission", "permission grant|revoke PERMISSION ROLE",
      "Grants a permission (create-invite-links, api-bypass-rate-limit...)\n"
      "to a role, or revokes it.\n" },
    { "token", "token add [--id|--name] USER\n"
               "       token revoke [--id|--name] USER (HASH | --all)\n"
               "       token list [--id|--name] USER",
      "`token add` creates a personal access token (no expiry), prints it\n"
      "once and stores only base64(SHA-256(token)).  `token list` prints\n"
      "the stored hashes with their creation time (ms; - for personal\n"
      "access tokens); `token revoke` deletes one by hash, or all.  USER,\n"
      "--id and --name: as for `user`.\n" },
    { "purge", "purge [--days N] [--batch N]",
      "Deletes invites expired or used up at least N days ago (default 30),\n"
      "in batches of at most --batch (default 500, at most 10000), each in\n"
      "its own short transaction.  Prints the number deleted.\n" },
    { NULL, NULL, NULL }
};

static void ctl_print_usage(FILE *out)
{
    const ctl_help_t *h;

    fprintf(out,
        "Usage: invitectl (-d DRIVER -p PARAMS | -f FILE) [-u USER] COMMAND\n"
        "                 [ARGS]\n"
        "       invitectl [COMMAND] --help\n"
        "       invitectl --version\n"
        "\n"
        "mod_invite's admin command.\n"
        "  -d DRIVER  apr_dbd driver: sqlite3 or pgsql (DBDriver)\n"
        "  -p PARAMS  its parameters, as DBDParams\n"
        "  -f FILE    read DBDriver and DBDParams from an Apache\n"
        "             configuration file (the first of each; -d, -p win),\n"
        "             and User\n"
        "  -u USER    Apache's user (default: User of FILE, else\n"
        "             www-data): init and migrate warn when it could not\n"
        "             write a SQLite database\n"
        "  --version  print invitectl's version and the schema version it\n"
        "             serves\n"
        "\nCommands:\n");
    for (h = ctl_helps; h->name; h++)
        fprintf(out, "  %s\n", h->usage);
    fprintf(out, "\nExit status: 0 success, 1 failure, 2 usage error.\n");
}

static const ctl_help_t *ctl_help_of(const char *name)
{
    const ctl_help_t *h;

    for (h = ctl_helps; h->name; h++)
        if (!strcmp(h->name, name))
            return h;
    return NULL;
}

/* ------------------------------------------------------------- options */

/* A subcommand's options: "--name" flags and "--name VALUE" (or
 * --name=VALUE) pairs, repeatable ones collected; the rest positional. */
typedef struct {
    const char *name;
    int takes_value;
    apr_array_header_t *values;   /* const char * */
} ctl_opt_t;

static int ctl_parse(apr_pool_t *p, const char *cmd, int argc,
                     const char **argv, ctl_opt_t *opts,
                     apr_array_header_t **positional)
{
    int i, done = 0;
    ctl_opt_t *o;

    *positional = apr_array_make(p, 4, sizeof(const char *));
    for (o = opts; o && o->name; o++)
        o->values = apr_array_make(p, 1, sizeof(const char *));
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *eq;
        size_t n;

        if (done || a[0] != '-' || !a[1]) {
            APR_ARRAY_PUSH(*positional, const char *) = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            done = 1;
            continue;
        }
        eq = strchr(a, '=');
        n = eq ? (size_t)(eq - a) : strlen(a);
        for (o = opts; o && o->name; o++)
            if (strlen(o->name) == n && !strncmp(o->name, a, n))
                break;
        if (!o || !o->name)
            return ctl_usage_error(p, cmd, "unknown option '%s'",
                                   apr_pstrmemdup(p, a, n));
        if (!o->takes_value) {
            if (eq)
                return ctl_usage_error(p, cmd, "%s takes no value", o->name);
            APR_ARRAY_PUSH(o->values, const char *) = "1";
        }
        else if (eq) {
            APR_ARRAY_PUSH(o->values, const char *) = eq + 1;
        }
        else if (i + 1 < argc) {
            APR_ARRAY_PUSH(o->values, const char *) = argv[++i];
        }
        else {
            return ctl_usage_error(p, cmd, "%s needs a value", o->name);
        }
    }
    return CTL_OK;
}

/* The last value of an option, or NULL. */
static const char *ctl_opt(const ctl_opt_t *o)
{
    return o->values->nelts
        ? APR_ARRAY_IDX(o->values, o->values->nelts - 1, const char *)
        : NULL;
}

/* A whole number in [min, max] from s, or -1. */
static long long ctl_number(const char *s, long long min, long long max)
{
    char *end;
    long long v;

    if (!s || !apr_isdigit(*s))
        return -1;
    v = apr_strtoi64(s, &end, 10);
    if (*end || v < min || v > max)
        return -1;
    return v;
}

/* CTL_OK when s (NULL: not given) is 1 to max bytes without control
 * characters (below 0x20, and 0x7f), else CTL_USAGE after a message that
 * names `what` of command cmd, never s itself. */
static int ctl_text(apr_pool_t *p, const char *cmd, const char *what,
                    const char *s, size_t max)
{
    const unsigned char *c;

    if (!s)
        return CTL_OK;
    if (!*s)
        return ctl_usage_error(p, cmd, "empty %s", what);
    if (strlen(s) > max)
        return ctl_usage_error(p, cmd, "the %s is longer than %d bytes",
                               what, (int)max);
    for (c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return ctl_usage_error(p, cmd, "the %s holds a control"
                                   " character (0x%02x)", what, *c);
    return CTL_OK;
}

/* ctl_text for each of a[from..], names, roles or permissions. */
static int ctl_texts(apr_pool_t *p, const char *cmd, const char *what,
                     const apr_array_header_t *a, int from)
{
    int i, rv = CTL_OK;

    for (i = from; i < a->nelts && rv == CTL_OK; i++)
        rv = ctl_text(p, cmd, what, APR_ARRAY_IDX(a, i, const char *),
                      CTL_NAME_MAX);
    return rv;
}

/* ------------------------------------------------- Apache configuration */

/* The next argument of a configuration line, as httpd's ap_getword_conf
 * reads it: "quoted" or 'quoted' (a backslash before the quote character
 * keeps it), else up to white space. */
static const char *ctl_conf_word(apr_pool_t *p, const char **line)
{
    const char *s = *line;
    char *out, *o;

    while (apr_isspace(*s))
        s++;
    if (!*s)
        return NULL;
    out = o = apr_palloc(p, strlen(s) + 1);
    if (*s == '"' || *s == '\'') {
        char q = *s++;

        while (*s && *s != q) {
            if (*s == '\\' && s[1] == q)
                s++;
            *o++ = *s++;
        }
        if (*s == q)
            s++;
    }
    else {
        while (*s && !apr_isspace(*s))
            *o++ = *s++;
    }
    *o = '\0';
    *line = s;
    return out;
}

/* line with each ${NAME} replaced as httpd's ap_resolve_env replaces it:
 * by the value of a Define, else of the environment; an undefined one, or
 * a "${" without "}", stays as it is. */
static const char *ctl_conf_resolve(apr_pool_t *p, apr_table_t *defines,
                                    const char *line)
{
    const char *out = "", *s = line, *start, *end;

    while ((start = strstr(s, "${")) && (end = strchr(start + 2, '}'))) {
        const char *name = apr_pstrmemdup(p, start + 2, end - start - 2);
        const char *v = apr_table_get(defines, name);

        if (!v)
            v = getenv(name);
        out = apr_pstrcat(p, out,
                          apr_pstrmemdup(p, s, (v ? start : end + 1) - s),
                          v, NULL);
        s = end + 1;
    }
    return apr_pstrcat(p, out, s, NULL);
}

/* *out = the value of a directive read from file, unless some "${" in it
 * stayed: httpd would read that literally (a file named "${VAR}" for
 * sqlite3), which is never what is meant, so CTL_FAIL after a message. */
static int ctl_conf_value(apr_pool_t *p, const char *file,
                          const char *directive, const char *value,
                          const char **out)
{
    const char *var = value ? strstr(value, "${") : NULL;
    size_t n;

    if (var) {
        n = strcspn(var, "}");
        return ctl_fail(p, "%s in %s holds %s%s, which no Define before it"
                        " in the file and no environment variable sets:"
                        " give %s, or define it", directive, file,
                        apr_pstrmemdup(p, var, n), var[n] ? "}" : "",
                        strcmp(directive, "DBDriver") ? "-p PARAMS"
                                                      : "-d DRIVER");
    }
    *out = value;
    return CTL_OK;
}

/* DBDriver, DBDParams and User from an Apache configuration file: the
 * first occurrence of each in the file's own lines (Include is not
 * followed; sections are not told apart); left as they are (NULL, or
 * given) when absent.  ${NAME} is replaced as httpd does, from the Define
 * lines read so far (UnDefine too) and the environment; one left
 * unresolved in DBDriver or DBDParams is an error, in User it stays
 * (ctl_apache_user). */
static int ctl_read_conf(apr_pool_t *p, const char *file,
                         const char **driver, const char **params,
                         const char **user)
{
    FILE *f = fopen(file, "r");
    char buf[8192];
    char *line = NULL;
    apr_table_t *defines = apr_table_make(p, 4);
    int ok = CTL_OK;

    if (!f)
        return ctl_fail(p, "cannot read %s: %s", file, strerror(errno));
    while (ok == CTL_OK && fgets(buf, sizeof(buf), f)) {
        size_t n = strlen(buf);
        const char *s, *word;

        while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
            buf[--n] = '\0';
        /* A line ending in a backslash continues on the next one. */
        if (n && buf[n - 1] == '\\') {
            buf[n - 1] = '\0';
            line = apr_pstrcat(p, line ? line : "", buf, NULL);
            continue;
        }
        line = apr_pstrcat(p, line ? line : "", buf, NULL);
        s = line;
        line = NULL;
        while (apr_isspace(*s))
            s++;
        if (*s == '#')
            continue;
        s = ctl_conf_resolve(p, defines, s);
        word = ctl_conf_word(p, &s);
        if (!word)
            continue;
        if (!strcasecmp(word, "DBDriver") && !*driver)
            ok = ctl_conf_value(p, file, "DBDriver", ctl_conf_word(p, &s),
                                driver);
        else if (!strcasecmp(word, "DBDParams") && !*params)
            ok = ctl_conf_value(p, file, "DBDParams", ctl_conf_word(p, &s),
                                params);
        else if (!strcasecmp(word, "User") && !*user)
            *user = ctl_conf_word(p, &s);
        else if (!strcasecmp(word, "Define")) {
            const char *name = ctl_conf_word(p, &s);
            const char *value = ctl_conf_word(p, &s);

            /* Define NAME alone is for <IfDefine>, no variable. */
            if (name && value)
                apr_table_set(defines, name, value);
        }
        else if (!strcasecmp(word, "UnDefine")) {
            const char *name = ctl_conf_word(p, &s);

            if (name)
                apr_table_unset(defines, name);
        }
    }
    fclose(f);
    return ok;
}

/* ------------------------------------------------------------ database */

/* Runs a SQLite PRAGMA, which may return a row (apr_dbd_query takes
 * that for an error): 0 or the driver's error code. */
static int ctl_pragma(ctl_db_t *db, const char *pragma)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rv = apr_dbd_select(db->driver, db->pool, db->handle, &res, pragma, 1);

    while (!rv && apr_dbd_get_row(db->driver, db->pool, res, &row, -1) == 0)
        ;
    return rv;
}

/* The directory of a file's path: "." for none. */
static const char *ctl_dirname(apr_pool_t *p, const char *path)
{
    const char *slash = strrchr(path, '/');

    if (!slash)
        return ".";
    return slash == path ? "/" : apr_pstrmemdup(p, path, slash - path);
}

/* 1 for a SQLite DBDParams that is a plain path (not a file: URI, not
 * :memory:). */
static int ctl_sqlite_path(const char *params)
{
    return *params && strncmp(params, "file:", 5)
        && strcmp(params, ":memory:");
}

/* Why the caller cannot reach the file at path: the first directory on
 * the way that is missing, is not a directory or has no search
 * permission for it; NULL when none.  (sqlite3 says "unable to open
 * database file" for all of them, and open(2) "No such file" for a
 * missing directory.) */
static const char *ctl_path_blocked(apr_pool_t *p, const char *path)
{
    const char *s;
    struct stat st;

    for (s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
        const char *dir = apr_pstrmemdup(p, path, s - path);

        if (stat(dir, &st) != 0)
            return errno == ENOENT
                ? apr_psprintf(p, "no directory %s, on the way to %s", dir,
                               path)
                : apr_psprintf(p, "cannot reach the directory %s: %s", dir,
                               strerror(errno));
        if (!S_ISDIR(st.st_mode))
            return apr_psprintf(p, "%s is not a directory, on the way to %s",
                                dir, path);
        if (access(dir, X_OK) != 0)
            return apr_psprintf(p, "no search permission on the directory"
                                " %s, on the way to %s", dir, path);
    }
    return NULL;
}

/* What the caller may not do that SQLite needs, after a failure to open
 * or read path: write the file, or create its -wal, -shm and -journal
 * files beside it; "" when nothing. */
static const char *ctl_sqlite_denied(apr_pool_t *p, const char *path)
{
    const char *dir = ctl_dirname(p, path), *file = NULL;

    if (access(path, F_OK) == 0 && access(path, R_OK | W_OK) != 0)
        file = apr_psprintf(p, "no %s permission on %s",
                            access(path, R_OK) ? "read" : "write", path);
    if (access(dir, W_OK | X_OK) != 0)
        return apr_psprintf(p, " (%s%sno write permission on the directory"
                            " %s, where SQLite makes %s-wal and -shm)",
                            file ? file : "", file ? "; " : "", dir, path);
    return file ? apr_psprintf(p, " (%s)", file) : "";
}

/* Opens the database.  must_exist: a SQLite file that is not there is an
 * error (sqlite3_open would create an empty one), and so is one that
 * cannot be read, with the reason. */
static int ctl_connect(ctl_db_t *db, int must_exist)
{
    const char *err = NULL, *path, *blocked;
    apr_status_t rv;
    apr_file_t *f;
    struct stat st;
    char why[256];

    db->engine = invite_sql_engine(db->driver_name);
    if (!db->engine)
        return ctl_fail(db->pool, "unsupported driver '%s' (sqlite3 or pgsql)",
                        db->driver_name);
    rv = apr_dbd_get_driver(db->pool, db->driver_name, &db->driver);
    if (rv != APR_SUCCESS)
        return ctl_fail(db->pool, "cannot load the apr_dbd driver '%s'"
                        " (install libaprutil1-dbd-%s)", db->driver_name,
                        db->driver_name);
    path = db->sqlite_file = db->engine->id == INVITE_ENGINE_SQLITE3
        && ctl_sqlite_path(db->params) ? db->params : NULL;
    if (path && (blocked = ctl_path_blocked(db->pool, path)))
        return ctl_fail(db->pool, "cannot open the database: %s", blocked);
    if (path && must_exist) {
        rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_OS_DEFAULT,
                           db->pool);
        if (APR_STATUS_IS_ENOENT(rv) && lstat(path, &st) == 0)
            return ctl_fail(db->pool, "cannot open the database: %s is a"
                            " symbolic link to a missing file", path);
        if (APR_STATUS_IS_ENOENT(rv))
            return ctl_fail(db->pool, "cannot open the database: no file %s"
                            " (invitectl init creates it)", path);
        if (rv != APR_SUCCESS)
            return ctl_fail(db->pool, "cannot open the database: cannot open"
                            " %s: %s", path,
                            apr_strerror(rv, why, sizeof(why)));
        apr_file_close(f);
    }
    else if (path && lstat(path, &st) != 0 && errno == ENOENT
             && access(ctl_dirname(db->pool, path), W_OK | X_OK) != 0) {
        return ctl_fail(db->pool, "cannot create the database: no write"
                        " permission on the directory %s, to create %s",
                        ctl_dirname(db->pool, path), path);
    }
    rv = apr_dbd_open_ex(db->driver, db->pool, db->params, &db->handle, &err);
    if (rv != APR_SUCCESS || !db->handle)
        return ctl_fail(db->pool, "cannot open the database: %s%s",
                        err && *err ? apr_pstrndup(db->pool, err,
                                                   strcspn(err, "\n"))
                                    : "connection failed",
                        path ? ctl_sqlite_denied(db->pool, path) : "");
    if (db->engine->id == INVITE_ENGINE_SQLITE3) {
        int nrows = 0;
        /* Deleting a user or room cascades to its rows, as on pgsql. */
        rv = apr_dbd_query(db->driver, db->handle, &nrows,
                           "PRAGMA foreign_keys = ON");
        /* A file that is not a database opens fine: read it once. */
        if (!rv)
            rv = ctl_pragma(db, "PRAGMA schema_version");
        if (rv)
            return ctl_fail(db->pool, "cannot open the database: %s",
                            ctl_db_error(db, rv));
    }
    return CTL_OK;
}

static void ctl_close(ctl_db_t *db)
{
    if (db->handle)
        apr_dbd_close(db->driver, db->handle);
    db->handle = NULL;
}

/* An admin statement, prepared on first use; NULL after a message. */
static apr_dbd_prepared_t *ctl_stmt(ctl_db_t *db, invite_admin_stmt_e i)
{
    const invite_stmt_t *s = &db->engine->admin[i];

    if (!db->admin[i]) {
        int rv = apr_dbd_prepare(db->driver, db->pool, db->handle, s->sql,
                                 s->label, &db->admin[i]);
        if (rv) {
            db->admin[i] = NULL;
            ctl_fail(db->pool, "preparing %s: %s", s->label,
                     ctl_db_error(db, rv));
            return NULL;
        }
    }
    return db->admin[i];
}

/* Runs admin statement i with nargs string arguments (NULL: SQL NULL);
 * *nrows gets the rows changed.  CTL_OK or CTL_FAIL after a message. */
static int ctl_query(ctl_db_t *db, invite_admin_stmt_e i, int *nrows,
                     int nargs, const char **args)
{
    apr_dbd_prepared_t *st = ctl_stmt(db, i);
    int rv;

    if (!st)
        return CTL_FAIL;
    *nrows = 0;
    rv = apr_dbd_pquery(db->driver, db->pool, db->handle, nrows, st,
                        nargs, args);
    if (rv)
        return ctl_fail(db->pool, "%s: %s", db->engine->admin[i].label,
                        ctl_db_error(db, rv));
    return CTL_OK;
}

/* Selects with admin statement i; rows are read with ctl_row. */
static int ctl_select(ctl_db_t *db, invite_admin_stmt_e i,
                      apr_dbd_results_t **res, int nargs, const char **args)
{
    apr_dbd_prepared_t *st = ctl_stmt(db, i);
    int rv;

    if (!st)
        return CTL_FAIL;
    *res = NULL;
    /* random = 1: pgsql then reports errors and empty results at once. */
    rv = apr_dbd_pselect(db->driver, db->pool, db->handle, res, st, 1,
                         nargs, args);
    if (rv)
        return ctl_fail(db->pool, "%s: %s", db->engine->admin[i].label,
                        ctl_db_error(db, rv));
    return CTL_OK;
}

/* The next row into *row, which is NULL before the first call and then
 * the driver's (pgsql advances it), or NULL at the end, where pgsql may
 * free the result: copy what must outlive it. */
static apr_dbd_row_t *ctl_row(ctl_db_t *db, apr_dbd_results_t *res,
                              apr_dbd_row_t **row)
{
    if (apr_dbd_get_row(db->driver, db->pool, res, row, -1) != 0)
        return NULL;
    return *row;
}

/* Column col as a string; NULL for SQL NULL (on both engines). */
static const char *ctl_col(ctl_db_t *db, apr_dbd_row_t *row, int col)
{
    char *v = NULL;

    if (apr_dbd_datum_get(db->driver, row, col, APR_DBD_TYPE_STRING, &v)
        != APR_SUCCESS)
        return NULL;
    return apr_dbd_get_entry(db->driver, row, col);
}

static int ctl_begin(ctl_db_t *db, apr_dbd_transaction_t **txn)
{
    int rv;

    *txn = NULL;
    rv = apr_dbd_transaction_start(db->driver, db->pool, db->handle, txn);
    if (rv)
        return ctl_fail(db->pool, "cannot start a transaction: %s",
                        ctl_db_error(db, rv));
    return CTL_OK;
}

/* Commits when ok (and nothing failed inside), else rolls back.  Returns
 * CTL_OK only for a commit. */
static int ctl_end(ctl_db_t *db, apr_dbd_transaction_t *txn, int ok)
{
    int rv;

    if (ok != CTL_OK)
        apr_dbd_transaction_mode_set(db->driver, txn,
                                     APR_DBD_TRANSACTION_ROLLBACK);
    rv = apr_dbd_transaction_end(db->driver, db->pool, txn);
    if (ok != CTL_OK)
        return CTL_FAIL;
    if (rv)
        return ctl_fail(db->pool, "commit failed: %s", ctl_db_error(db, rv));
    return CTL_OK;
}

/* The schema version: max(schema_version.version); 0 when the table is
 * empty or missing (not initialised); -1 after a message. */
static int ctl_version(ctl_db_t *db, int quiet_missing)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    const char *v;
    const invite_stmt_t *s = &db->engine->admin[INVITE_ADMIN_VERSION];
    int rv;

    if (!db->admin[INVITE_ADMIN_VERSION]) {
        rv = apr_dbd_prepare(db->driver, db->pool, db->handle, s->sql,
                             s->label, &db->admin[INVITE_ADMIN_VERSION]);
        if (rv) {
            db->admin[INVITE_ADMIN_VERSION] = NULL;
            if (!quiet_missing)
                ctl_fail(db->pool, "no schema version in the database (%s):"
                         " run 'invitectl init'", ctl_db_error(db, rv));
            return quiet_missing ? 0 : -1;
        }
    }
    if (ctl_select(db, INVITE_ADMIN_VERSION, &res, 0, NULL) != CTL_OK)
        return -1;
    row = NULL;
    v = ctl_row(db, res, &row) ? apr_pstrdup(db->pool, ctl_col(db, row, 0))
                               : NULL;
    if (row)
        while (ctl_row(db, res, &row))
            ;
    if (!v && !quiet_missing) {
        ctl_fail(db->pool, "no schema version in the database:"
                 " run 'invitectl init'");
        return -1;
    }
    return v ? atoi(v) : 0;
}

/* 1 when the database holds mod_invite's tables without schema_version:
 * one made before schema versions, which is version 1. */
static int ctl_predates_versions(ctl_db_t *db)
{
    const invite_stmt_t *s = &db->engine->admin[INVITE_ADMIN_HAS_TABLES];
    apr_dbd_prepared_t *probe = NULL;

    return apr_dbd_prepare(db->driver, db->pool, db->handle, s->sql,
                           s->label, &probe) == 0;
}

/* ------------------------------------------------------ Apache's user */

/* value with each ${NAME} that is still there replaced from Debian's
 * envvars file (APACHE_ENVVARS, else /etc/apache2/envvars), which
 * apache2ctl reads before httpd starts: its NAME=VALUE lines, "export"
 * before them or not, VALUE quoted or up to white space, without "$". */
static const char *ctl_envvars_resolve(apr_pool_t *p, const char *value,
                                       const char **file_used)
{
    const char *file = getenv("APACHE_ENVVARS");
    apr_table_t *vars = apr_table_make(p, 8);
    const char *out;
    char buf[1024];
    FILE *f;

    if (!strstr(value, "${"))
        return value;
    if (!file || !*file)
        file = "/etc/apache2/envvars";
    if (!(f = fopen(file, "r")))
        return value;
    while (fgets(buf, sizeof(buf), f)) {
        const char *s = buf, *name, *v;

        while (apr_isspace(*s))
            s++;
        if (!strncmp(s, "export", 6) && apr_isspace(s[6]))
            for (s += 6; apr_isspace(*s); s++)
                ;
        for (name = s; apr_isalnum(*s) || *s == '_'; s++)
            ;
        if (s == name || *s != '=')
            continue;
        name = apr_pstrmemdup(p, name, s - name);
        s++;
        if (*s == '"' || *s == '\'') {
            const char *end = strchr(s + 1, *s);

            if (!end)
                continue;
            v = apr_pstrmemdup(p, s + 1, end - s - 1);
        }
        else {
            v = apr_pstrmemdup(p, s, strcspn(s, " \t\r\n;#"));
        }
        if (!strchr(v, '$'))
            apr_table_set(vars, name, v);
    }
    fclose(f);
    out = ctl_conf_resolve(p, vars, value);
    if (strcmp(out, value))
        *file_used = file;
    return out;
}

/* db->apache_user, db->apache_user_from: -u USER (given), else User of the
 * -f file (conf_user; a ${NAME} in it from the environment, else from
 * envvars), else www-data, Debian's. */
static void ctl_apache_user(ctl_db_t *db, const char *given,
                            const char *conf_user, const char *file)
{
    const char *envvars = NULL, *user;

    if (given) {
        db->apache_user = given;
        db->apache_user_from = "-u";
        return;
    }
    db->apache_user = "www-data";
    db->apache_user_from = "the default";
    if (!conf_user)
        return;
    user = ctl_envvars_resolve(db->pool, conf_user, &envvars);
    if (strstr(user, "${")) {
        db->apache_user_from = apr_psprintf(db->pool, "the default: User in"
                                            " %s is %s, unset", file, user);
        return;
    }
    db->apache_user = user;
    db->apache_user_from = envvars
        ? apr_psprintf(db->pool, "User in %s, with %s", file, envvars)
        : apr_psprintf(db->pool, "User in %s", file);
}

/* The permission bits (r 4, w 2, x 1) that st grants to uid with groups,
 * as the kernel picks them: the owner's, else the group's, else the
 * others'; *who is chmod's u, g or o for them.  (ACLs are not read.) */
static int ctl_bits(const struct stat *st, uid_t uid, const gid_t *groups,
                    int ngroups, char *who)
{
    int i;

    *who = 'u';
    if (st->st_uid == uid)
        return (st->st_mode >> 6) & 7;
    *who = 'g';
    for (i = 0; i < ngroups; i++)
        if (st->st_gid == groups[i])
            return (st->st_mode >> 3) & 7;
    *who = 'o';
    return st->st_mode & 7;
}

/* After init or migrate created or changed a SQLite database (and closed
 * it): warns on
 * stderr, with the commands that fix it, when Apache's user could not
 * reach it (a directory on the way it may not search), or could not
 * write the file, its -wal, -shm or -journal files that are there, or
 * the directory, where SQLite creates them.  The exit status stays. */
static void ctl_check_apache_user(ctl_db_t *db)
{
    apr_pool_t *p = db->pool;
    const char *name = db->apache_user, *dir, *path, *cant = NULL;
    const char *chown_list = "", *chmod_list = "";
    static const char *const sides[] = { "", "-wal", "-shm", "-journal" };
    struct passwd *pw;
    struct stat st;
    gid_t *groups;
    int ngroups = 64, i, bits;
    char *real, who;

    if (!db->sqlite_file || !name)
        return;
    pw = name[0] == '#' ? getpwuid((uid_t)atol(name + 1)) : getpwnam(name);
    if (!pw) {
        fprintf(stderr, "invitectl: warning: no user %s (Apache's user, %s):"
                " cannot check that Apache may write %s\n", name,
                db->apache_user_from, db->sqlite_file);
        return;
    }
    if (pw->pw_uid == 0)
        return;
    name = apr_pstrdup(p, pw->pw_name);
    groups = apr_palloc(p, ngroups * sizeof(gid_t));
    if (getgrouplist(name, pw->pw_gid, groups, &ngroups) < 0) {
        groups = apr_palloc(p, ngroups * sizeof(gid_t));
        if (getgrouplist(name, pw->pw_gid, groups, &ngroups) < 0)
            ngroups = 0;
    }
    real = realpath(db->sqlite_file, NULL);
    path = apr_pstrdup(p, real ? real : db->sqlite_file);
    free(real);
    dir = ctl_dirname(p, path);
    /* Every directory on the way: search permission. */
    for (i = 1; path[0] == '/' && path[i]; i++) {
        const char *d;

        if (path[i] != '/')
            continue;
        d = apr_pstrmemdup(p, path, i);
        if (stat(d, &st) == 0 && !(ctl_bits(&st, pw->pw_uid, groups,
                                             ngroups, &who) & 1)) {
            fprintf(stderr, "invitectl: warning: Apache's user, %s (%s),"
                    " cannot reach %s: no search permission on the"
                    " directory %s\n"
                    "invitectl: fix it with: chmod %c+x %s, or keep the"
                    " database in a directory Apache's user may reach\n",
                    name, db->apache_user_from, path, d, who, d);
            return;
        }
    }
    /* The file and the files beside it: read and write; the directory:
     * write and search. */
    for (i = 0; i < 5; i++) {
        const char *f = i < 4 ? apr_pstrcat(p, path, sides[i], NULL) : dir;
        int want = i < 4 ? 6 : 3;

        if (stat(f, &st) != 0)
            continue;
        bits = ctl_bits(&st, pw->pw_uid, groups, ngroups, &who);
        if ((bits & want) == want)
            continue;
        cant = apr_pstrcat(p, cant ? cant : "", cant ? ", nor " : "",
                           i < 4 ? f : apr_psprintf(p, "the directory %s,"
                                                    " where SQLite creates"
                                                    " %s-wal, -shm and"
                                                    " -journal", f, path),
                           NULL);
        chown_list = apr_pstrcat(p, chown_list, " ", f, NULL);
        if (((int)(st.st_mode >> 6) & want) != want)
            chmod_list = apr_pstrcat(p, chmod_list, " && chmod u+",
                                     i < 4 ? "rw " : "wx ", f, NULL);
    }
    if (!cant)
        return;
    fprintf(stderr, "invitectl: warning: Apache's user, %s (%s), cannot"
            " write %s: mod_invite will fail on it\n"
            "invitectl: fix it with: chown %s:%s%s\n", name,
            db->apache_user_from, cant, name, chown_list, chmod_list);
}

/* ------------------------------------------------------- schema, DDL */

/* The statements of a SQL file: "--" comments removed, split at each ";"
 * that ends a line (the convention of conf/ and conf/migrations/). */
static apr_array_header_t *ctl_split_sql(apr_pool_t *p, const char *sql)
{
    apr_array_header_t *out = apr_array_make(p, 16, sizeof(const char *));
    char *text = apr_pstrdup(p, sql), *s, *start;

    for (s = text; *s; s++) {
        if (s[0] == '-' && s[1] == '-')
            while (*s && *s != '\n')
                *s++ = ' ';
        if (!*s)
            break;
    }
    start = text;
    for (s = text; ; s++) {
        const char *rest = s + 1;

        if (*s == ';') {
            while (*rest == ' ' || *rest == '\t' || *rest == '\r')
                rest++;
        }
        if (!*s || (*s == ';' && (*rest == '\n' || !*rest))) {
            const char *b = start, *e = s;

            while (b < e && apr_isspace(*b))
                b++;
            if (b < e)
                APR_ARRAY_PUSH(out, const char *) =
                    apr_pstrmemdup(p, b, e - b);
            if (!*s)
                break;
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

        if (strncasecmp(q, "PRAGMA", 6))
            break;
        rv = ctl_pragma(db, q);
        if (rv)
            return ctl_fail(db->pool, "%s: %s", name, ctl_db_error(db, rv));
    }
    if (ctl_begin(db, &txn) != CTL_OK)
        return CTL_FAIL;
    for (; i < stmts->nelts && ok == CTL_OK; i++) {
        const char *q = APR_ARRAY_IDX(stmts, i, const char *);
        int rv = apr_dbd_query(db->driver, db->handle, &nrows, q);

        if (rv)
            ok = ctl_fail(db->pool, "%s, statement %d: %s", name, i + 1,
                          ctl_db_error(db, rv));
    }
    if (ok == CTL_OK && db->engine->id == INVITE_ENGINE_SQLITE3) {
        /* apr_dbd's sqlite3 statements do not survive a change of the
         * tables they read (SQLITE_SCHEMA): prepare them again. */
        memset(db->admin, 0, sizeof(db->admin));
    }
    if (ok == CTL_OK && record) {
        const char *args[2];

        args[0] = apr_itoa(db->pool, version);
        args[1] = apr_psprintf(db->pool, "%" APR_INT64_T_FMT, (apr_int64_t)invite_time_now_ms());
        ok = ctl_query(db, INVITE_ADMIN_VERSION_RECORD, &nrows, 2, args);
    }
    if (ctl_end(db, txn, ok) != CTL_OK)
        return ctl_fail(db->pool, "%s rolled back: nothing of it was applied",
                        name);
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

        for (f = invite_ctl_embedded_sql; f->engine; f++)
            if (f->version > 1 && !strcmp(f->engine, db->driver_name)) {
                ctl_migration_t *m = apr_array_push(a);
                m->version = f->version;
                m->name = f->name;
                m->sql = f->sql;
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
            && fi.filetype == APR_DIR)
            dir = sub;
        if ((rv = apr_dir_open(&d, dir, db->pool)) != APR_SUCCESS)
            return ctl_fail(db->pool, "cannot read the directory %s: %s", dir,
                            apr_strerror(rv, why, sizeof(why)));
        while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d)
               == APR_SUCCESS) {
            ctl_migration_t *m;
            char *text;
            apr_size_t len;
            apr_file_t *f;
            apr_finfo_t st;
            const char *path;

            if (fi.filetype != APR_REG || !ctl_is_migration(fi.name))
                continue;
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

        if (m->version < 2)
            return ctl_fail(db->pool, "migration %s: numbers start at 002"
                            " (001 is the base schema)", m->name);
        if (i && m->version == APR_ARRAY_IDX(a, i - 1, ctl_migration_t).version)
            return ctl_fail(db->pool, "two migrations numbered %03d",
                            m->version);
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

        if (m->version <= *version)
            continue;
        if (ctl_apply(db, m->name, m->sql, m->version, 1) != CTL_OK)
            return ctl_fail(db->pool, "migration failed: the database stays"
                            " at schema version %d", *version);
        *version = m->version;
        printf("applied %s: schema version %d\n", m->name, m->version);
    }
    return CTL_OK;
}

static int cmd_init(ctl_db_t *db, apr_array_header_t *args)
{
    const invite_ctl_sql_file_t *f;
    apr_array_header_t *migs;
    int version;

    if (args->nelts)
        return ctl_usage_error(db->pool, "init", "init takes no arguments");
    if (ctl_connect(db, 0) != CTL_OK)
        return CTL_FAIL;
    version = ctl_version(db, 1);
    if (version < 0)
        return CTL_FAIL;
    if (version == 0 && ctl_predates_versions(db))
        return ctl_fail(db->pool, "the database holds mod_invite's tables"
                        " from before schema versions: run 'invitectl"
                        " migrate'");
    if (version == INVITE_SCHEMA_VERSION) {
        printf("already initialised: schema version %d\n", version);
        return CTL_OK;
    }
    if (version > 0)
        return ctl_fail(db->pool, "the database holds schema version %d, this"
                        " invitectl creates version %d: %s", version,
                        INVITE_SCHEMA_VERSION,
                        version < INVITE_SCHEMA_VERSION
                        ? "run 'invitectl migrate'"
                        : "use the invitectl of a newer mod_invite");
    for (f = invite_ctl_embedded_sql; f->engine; f++)
        if (f->version == 1 && !strcmp(f->engine, db->driver_name))
            break;
    if (!f->engine)
        return ctl_fail(db->pool, "no built-in schema for %s",
                        db->driver_name);
    /* The schema file is the newest schema and records its own version;
     * the migrations above it (none, in a consistent build) follow. */
    if (ctl_apply(db, f->name, f->sql, 1, 0) != CTL_OK)
        return CTL_FAIL;
    version = ctl_version(db, 0);
    if (version < 1)
        return CTL_FAIL;
    if (ctl_migrations(db, NULL, &migs) != CTL_OK
        || ctl_apply_migrations(db, migs, &version) != CTL_OK)
        return CTL_FAIL;
    printf("initialised: schema version %d\n", version);
    db->check_apache_user = 1;
    return CTL_OK;
}

/* schema_version as the first schema file with versions created it (the
 * types suit both engines; later migrations change it like any table). */
#define PREVERSION_TABLE \
    "CREATE TABLE schema_version (version integer NOT NULL PRIMARY KEY," \
    " applied_at bigint NOT NULL);\n"

static int cmd_migrate(ctl_db_t *db, apr_array_header_t *args,
                       ctl_opt_t *opts)
{
    apr_array_header_t *migs;
    int version, from, latest = 1, i, recorded = 0;

    if (args->nelts)
        return ctl_usage_error(db->pool, "migrate",
                               "migrate takes no arguments");
    if (ctl_connect(db, 1) != CTL_OK)
        return CTL_FAIL;
    version = ctl_version(db, 1);
    if (version == 0 && opts[0].values->nelts && ctl_predates_versions(db)) {
        version = 1;   /* --status changes nothing */
    }
    else if (version == 0 && ctl_predates_versions(db)) {
        /* Its tables are those of the first schema file: record that, in
         * the table that file now creates, and migrate from there. */
        if (ctl_apply(db, "schema_version", PREVERSION_TABLE, 1, 1) != CTL_OK)
            return CTL_FAIL;
        printf("recorded schema version 1: the database predates schema"
               " versions\n");
        recorded = 1;
        version = ctl_version(db, 0);
    }
    else if (version == 0) {
        version = ctl_version(db, 0);   /* says: run 'invitectl init' */
    }
    if (version < 0)
        return CTL_FAIL;
    if (ctl_migrations(db, ctl_opt(&opts[1]), &migs) != CTL_OK)
        return CTL_FAIL;
    if (migs->nelts)
        latest = APR_ARRAY_IDX(migs, migs->nelts - 1, ctl_migration_t).version;
    if (opts[0].values->nelts) {
        printf("schema version: %d\n", version);
        printf("latest migration: %d\n", latest);
        printf("this build serves: %d\n", INVITE_SCHEMA_VERSION);
        for (i = 0; i < migs->nelts; i++) {
            ctl_migration_t *m = &APR_ARRAY_IDX(migs, i, ctl_migration_t);
            if (m->version > version)
                printf("pending: %s\n", m->name);
        }
        return version > latest ? ctl_fail(db->pool, "the database is newer"
                                           " than every known migration")
                                : CTL_OK;
    }
    if (version > latest)
        return ctl_fail(db->pool, "the database holds schema version %d,"
                        " newer than every migration known here (latest %d):"
                        " use the invitectl of a newer mod_invite", version,
                        latest);
    from = version;
    if (ctl_apply_migrations(db, migs, &version) != CTL_OK)
        return CTL_FAIL;
    printf("schema version %d: up to date\n", version);
    /* mod_invite checks the version again when the schema changes under
     * its connections (mod_invite_db.c, forget_statements). */
    if (version != from)
        printf("running servers take the new schema up on their next "
               "request: no restart needed\n");
    db->check_apache_user = version != from || recorded;
    return CTL_OK;
}

/* ---------------------------------------------------- users and rooms */

/* How a USER or ROOM argument is read. */
typedef enum {
    CTL_BY_EITHER,    /* as an id or as a username / room name */
    CTL_BY_ID,        /* --id */
    CTL_BY_NAME       /* --name */
} ctl_by_e;

/* *by from a command's --id and --name flags; a usage error for both. */
static int ctl_by(apr_pool_t *p, const char *cmd, const ctl_opt_t *id,
                  const ctl_opt_t *name, ctl_by_e *by)
{
    if (id->values->nelts && name->values->nelts)
        return ctl_usage_error(p, cmd, "--id and --name exclude each other");
    *by = id->values->nelts ? CTL_BY_ID
        : name->values->nelts ? CTL_BY_NAME : CTL_BY_EITHER;
    return CTL_OK;
}

/* The id of the user (stmt INVITE_ADMIN_USER_FIND) or room (ROOM_FIND)
 * that key names, read as `by` says; NULL after a message.  A key that
 * names two is refused: the id of one and the name of another (a name
 * chosen to look like an id would otherwise redirect the command), or
 * the name of several. */
static const char *ctl_find(ctl_db_t *db, invite_admin_stmt_e stmt,
                            const char *key, ctl_by_e by)
{
    int user = stmt == INVITE_ADMIN_USER_FIND, by_id = 0, others = 0;
    const char *what = user ? "user" : "room";
    const char *name = user ? "username" : "name";
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    const char *args[2];
    const char *id = NULL;

    args[0] = by == CTL_BY_NAME ? NULL : key;
    args[1] = by == CTL_BY_ID ? NULL : key;
    if (ctl_select(db, stmt, &res, 2, args) != CTL_OK)
        return NULL;
    /* Id matches come first (rank 0). */
    while (ctl_row(db, res, &row)) {
        const char *rid = ctl_col(db, row, 0);

        if (!id) {
            id = apr_pstrdup(db->pool, rid);
            by_id = !strcmp(ctl_col(db, row, 2), "0");
        }
        else if (strcmp(id, rid)) {
            others++;
        }
    }
    if (!id)
        ctl_fail(db->pool, "no %s '%s'", what, key);
    else if (others && by_id)
        ctl_fail(db->pool, "'%s' is the id of one %s and the %s of another:"
                 " say which with --id or --name", key, what, name);
    else if (others)
        ctl_fail(db->pool, "%d %ss have the %s '%s': name one by its id,"
                 " with --id", others + 1, what, name, key);
    return id && !others ? id : NULL;
}

/* A new id: the given one, or 17 characters as Rocket.Chat's. */
static const char *ctl_new_id(ctl_db_t *db, const char *given)
{
    char id[CTL_ID_LEN + 1];

    if (given)
        return given;
    if (invite_id_generate_len(id, CTL_ID_LEN) != APR_SUCCESS) {
        ctl_fail(db->pool, "no random bytes for an id");
        return NULL;
    }
    return apr_pstrdup(db->pool, id);
}

/* Adds (or, with del, removes) each role of roles[from..] for a user (rid
 * NULL) or a member.  Inside the caller's transaction; the caller checked
 * the roles (ctl_texts). */
static int ctl_roles(ctl_db_t *db, const char *uid, const char *rid,
                     apr_array_header_t *roles, int from, int del)
{
    int i;

    for (i = from; i < roles->nelts; i++) {
        const char *role = APR_ARRAY_IDX(roles, i, const char *);
        const char *args[3] = { uid, rid ? rid : role, role };
        int nrows;

        if (ctl_query(db, rid ? INVITE_ADMIN_MEMBER_ROLE_ADD
                              : del ? INVITE_ADMIN_USER_ROLE_DEL
                                    : INVITE_ADMIN_USER_ROLE_ADD,
                      &nrows, rid ? 3 : 2, args) != CTL_OK)
            return CTL_FAIL;
        if (nrows == 0)
            return ctl_fail(db->pool, del ? "%s does not have the role '%s'"
                                          : "%s already has the role '%s'",
                            rid ? "the member" : "the user", role);
    }
    return CTL_OK;
}

/* user add; opts: --id ID, --role ROLE. */
static int cmd_user_add(ctl_db_t *db, apr_array_header_t *args,
                        ctl_opt_t *opts)
{
    const char *uid, *name;
    apr_dbd_transaction_t *txn;
    int nrows, ok;
    const char *a[5];

    if (args->nelts != 2)
        return ctl_usage_error(db->pool, "user", "bad 'user' arguments");
    name = APR_ARRAY_IDX(args, 1, const char *);
    if (ctl_text(db->pool, "user", "username", name, CTL_NAME_MAX)
        || ctl_text(db->pool, "user", "id", ctl_opt(&opts[0]), CTL_ID_MAX)
        || ctl_texts(db->pool, "user", "role", opts[1].values, 0))
        return CTL_USAGE;
    if (ctl_connect(db, 1) != CTL_OK
        || !(uid = ctl_new_id(db, ctl_opt(&opts[0]))))
        return CTL_FAIL;
    a[0] = uid, a[1] = name, a[2] = name, a[3] = uid, a[4] = name;
    if (ctl_begin(db, &txn) != CTL_OK)
        return CTL_FAIL;
    ok = ctl_query(db, INVITE_ADMIN_USER_ADD, &nrows, 5, a);
    if (ok == CTL_OK && nrows == 0)
        ok = ctl_fail(db->pool, "the id '%s' or the username '%s' is taken,"
                      " as a user's id or username", uid, name);
    if (ok == CTL_OK)
        ok = ctl_roles(db, uid, NULL, opts[1].values, 0, 0);
    if (ctl_end(db, txn, ok) != CTL_OK)
        return CTL_FAIL;
    printf("%s\n", uid);
    return CTL_OK;
}

/* user show: the user's id, username, global roles, number of login
 * tokens (never their hashes) and rooms, each with its room roles. */
static int ctl_user_show(ctl_db_t *db, const char *uid)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_array_header_t *rooms = apr_array_make(db->pool, 4,
                                               sizeof(const char *));
    const char *name, *tokens, *roles = NULL, *rid = NULL, **room = NULL;
    int i;

    if (ctl_select(db, INVITE_ADMIN_USER_SHOW, &res, 1, &uid) != CTL_OK)
        return CTL_FAIL;
    if (!ctl_row(db, res, &row))
        return ctl_fail(db->pool, "no user '%s'", uid);
    name = apr_pstrdup(db->pool, ctl_col(db, row, 1));
    tokens = apr_pstrdup(db->pool, ctl_col(db, row, 2));
    while (ctl_row(db, res, &row))
        ;
    row = NULL;
    if (ctl_select(db, INVITE_ADMIN_USER_ROLES, &res, 1, &uid) != CTL_OK)
        return CTL_FAIL;
    while (ctl_row(db, res, &row))
        roles = apr_pstrcat(db->pool, roles ? roles : "", roles ? ", " : "",
                            ctl_col(db, row, 0), NULL);
    row = NULL;
    if (ctl_select(db, INVITE_ADMIN_USER_ROOMS, &res, 1, &uid) != CTL_OK)
        return CTL_FAIL;
    /* A row per room role, by room: one line per room. */
    while (ctl_row(db, res, &row)) {
        const char *r = ctl_col(db, row, 0), *rname = ctl_col(db, row, 1);
        const char *role = ctl_col(db, row, 2);
        int first = !rid || strcmp(rid, r);

        if (first) {
            rid = apr_pstrdup(db->pool, r);
            room = apr_array_push(rooms);
            *room = apr_psprintf(db->pool, "%s (%s)", rname ? rname : "-",
                                 rid);
        }
        if (role)
            *room = apr_pstrcat(db->pool, *room, first ? ": " : ", ", role,
                                NULL);
    }
    printf("id: %s\nusername: %s\nroles: %s\nlogin tokens: %s\nrooms: %d\n",
           uid, name ? name : "-", roles ? roles : "-", tokens ? tokens : "0",
           rooms->nelts);
    for (i = 0; i < rooms->nelts; i++)
        printf("room: %s\n", APR_ARRAY_IDX(rooms, i, const char *));
    return CTL_OK;
}

/* user del, user roles, user show; opts: --id, --name. */
static int cmd_user(ctl_db_t *db, apr_array_header_t *args, ctl_opt_t *opts)
{
    const char *sub = args->nelts ? APR_ARRAY_IDX(args, 0, const char *) : "";
    const char *uid;
    apr_dbd_transaction_t *txn;
    int nrows, ok;
    ctl_by_e by;

    if (ctl_by(db->pool, "user", &opts[0], &opts[1], &by) != CTL_OK
        || ctl_text(db->pool, "user", "user", args->nelts > 1
                    ? APR_ARRAY_IDX(args, 1, const char *) : NULL,
                    CTL_NAME_MAX))
        return CTL_USAGE;
    if (!strcmp(sub, "del") && args->nelts == 2) {
        if (ctl_connect(db, 1) != CTL_OK
            || !(uid = ctl_find(db, INVITE_ADMIN_USER_FIND,
                                APR_ARRAY_IDX(args, 1, const char *), by)))
            return CTL_FAIL;
        return ctl_query(db, INVITE_ADMIN_USER_DEL, &nrows, 1, &uid);
    }
    if (!strcmp(sub, "show") && args->nelts == 2) {
        if (ctl_connect(db, 1) != CTL_OK
            || !(uid = ctl_find(db, INVITE_ADMIN_USER_FIND,
                                APR_ARRAY_IDX(args, 1, const char *), by)))
            return CTL_FAIL;
        return ctl_user_show(db, uid);
    }
    if (!strcmp(sub, "roles") && args->nelts >= 2) {
        const char *action = args->nelts > 2
            ? APR_ARRAY_IDX(args, 2, const char *) : NULL;
        apr_dbd_results_t *res;
        apr_dbd_row_t *row = NULL;

        if (action && ((strcmp(action, "add") && strcmp(action, "del"))
                       || args->nelts < 4))
            return ctl_usage_error(db->pool, "user",
                                   "user roles USER [add|del ROLE...]");
        if (ctl_texts(db->pool, "user", "role", args, 3))
            return CTL_USAGE;
        if (ctl_connect(db, 1) != CTL_OK
            || !(uid = ctl_find(db, INVITE_ADMIN_USER_FIND,
                                APR_ARRAY_IDX(args, 1, const char *), by)))
            return CTL_FAIL;
        if (action) {
            if (ctl_begin(db, &txn) != CTL_OK)
                return CTL_FAIL;
            ok = ctl_roles(db, uid, NULL, args, 3, !strcmp(action, "del"));
            return ctl_end(db, txn, ok);
        }
        if (ctl_select(db, INVITE_ADMIN_USER_ROLES, &res, 1, &uid) != CTL_OK)
            return CTL_FAIL;
        while (ctl_row(db, res, &row))
            printf("%s\n", ctl_col(db, row, 0));
        return CTL_OK;
    }
    return ctl_usage_error(db->pool, "user", "bad 'user' arguments");
}

/* room add; opts: --id, --type, --fname, --prid. */
static int cmd_room_add(ctl_db_t *db, apr_array_header_t *args,
                        ctl_opt_t *opts)
{
    const char *type = ctl_opt(&opts[1]) ? ctl_opt(&opts[1]) : "c";
    const char *a[8];
    const char *rid, *name;
    int nrows;

    if (args->nelts != 2)
        return ctl_usage_error(db->pool, "room", "bad 'room' arguments");
    name = APR_ARRAY_IDX(args, 1, const char *);
    if (strlen(type) != 1 || !strchr("cpdlv", type[0]))
        return ctl_usage_error(db->pool, "room",
                               "--type is one of c, p, d, l, v");
    if (ctl_text(db->pool, "room", "name", name, CTL_NAME_MAX)
        || ctl_text(db->pool, "room", "id", ctl_opt(&opts[0]), CTL_ID_MAX)
        || ctl_text(db->pool, "room", "fname", ctl_opt(&opts[2]),
                    CTL_NAME_MAX)
        || ctl_text(db->pool, "room", "prid", ctl_opt(&opts[3]), CTL_ID_MAX))
        return CTL_USAGE;
    if (ctl_connect(db, 1) != CTL_OK
        || !(rid = ctl_new_id(db, ctl_opt(&opts[0]))))
        return CTL_FAIL;
    a[0] = rid, a[1] = type, a[2] = name;
    a[3] = ctl_opt(&opts[2]), a[4] = ctl_opt(&opts[3]);
    a[5] = name, a[6] = rid, a[7] = name;
    if (ctl_query(db, INVITE_ADMIN_ROOM_ADD, &nrows, 8, a) != CTL_OK)
        return CTL_FAIL;
    if (nrows == 0)
        return ctl_fail(db->pool, "the id '%s' or the name '%s' is taken, as"
                        " a room's id or name", rid, name);
    printf("%s\n", rid);
    return CTL_OK;
}

/* room del; opts: --id, --name. */
static int cmd_room(ctl_db_t *db, apr_array_header_t *args, ctl_opt_t *opts)
{
    const char *sub = args->nelts ? APR_ARRAY_IDX(args, 0, const char *) : "";
    const char *rid;
    int nrows;
    ctl_by_e by;

    if (ctl_by(db->pool, "room", &opts[0], &opts[1], &by) != CTL_OK
        || ctl_text(db->pool, "room", "room", args->nelts > 1
                    ? APR_ARRAY_IDX(args, 1, const char *) : NULL,
                    CTL_NAME_MAX))
        return CTL_USAGE;
    if (!strcmp(sub, "del") && args->nelts == 2) {
        if (ctl_connect(db, 1) != CTL_OK
            || !(rid = ctl_find(db, INVITE_ADMIN_ROOM_FIND,
                                APR_ARRAY_IDX(args, 1, const char *), by)))
            return CTL_FAIL;
        return ctl_query(db, INVITE_ADMIN_ROOM_DEL, &nrows, 1, &rid);
    }
    return ctl_usage_error(db->pool, "room", "bad 'room' arguments");
}

static int cmd_member(ctl_db_t *db, apr_array_header_t *args,
                      ctl_opt_t *opts)
{
    const char *sub = args->nelts ? APR_ARRAY_IDX(args, 0, const char *) : "";
    const char *a[2];
    apr_dbd_transaction_t *txn;
    int nrows, ok, add = !strcmp(sub, "add");
    ctl_by_e by;

    if ((!add && strcmp(sub, "del")) || args->nelts != 3)
        return ctl_usage_error(db->pool, "member", "bad 'member' arguments");
    if (!add && opts[0].values->nelts)
        return ctl_usage_error(db->pool, "member",
                               "--role goes with 'member add'");
    if (ctl_by(db->pool, "member", &opts[1], &opts[2], &by) != CTL_OK
        || ctl_text(db->pool, "member", "user",
                    APR_ARRAY_IDX(args, 1, const char *), CTL_NAME_MAX)
        || ctl_text(db->pool, "member", "room",
                    APR_ARRAY_IDX(args, 2, const char *), CTL_NAME_MAX)
        || ctl_texts(db->pool, "member", "role", opts[0].values, 0))
        return CTL_USAGE;
    if (ctl_connect(db, 1) != CTL_OK
        || !(a[0] = ctl_find(db, INVITE_ADMIN_USER_FIND,
                             APR_ARRAY_IDX(args, 1, const char *), by))
        || !(a[1] = ctl_find(db, INVITE_ADMIN_ROOM_FIND,
                             APR_ARRAY_IDX(args, 2, const char *), by)))
        return CTL_FAIL;
    if (ctl_begin(db, &txn) != CTL_OK)
        return CTL_FAIL;
    ok = ctl_query(db, add ? INVITE_ADMIN_MEMBER_ADD : INVITE_ADMIN_MEMBER_DEL,
                   &nrows, 2, a);
    if (ok == CTL_OK && nrows == 0)
        ok = ctl_fail(db->pool, add ? "the user is already a member of the"
                                      " room"
                                    : "the user is not a member of the room");
    if (ok == CTL_OK && add)
        ok = ctl_roles(db, a[0], a[1], opts[0].values, 0, 0);
    return ctl_end(db, txn, ok);
}

static int cmd_permission(ctl_db_t *db, apr_array_header_t *args)
{
    const char *sub = args->nelts ? APR_ARRAY_IDX(args, 0, const char *) : "";
    int grant = !strcmp(sub, "grant"), nrows;
    const char **a = (const char **)args->elts + 1;

    if ((!grant && strcmp(sub, "revoke")) || args->nelts != 3)
        return ctl_usage_error(db->pool, "permission",
                               "bad 'permission' arguments");
    if (ctl_text(db->pool, "permission", "permission", a[0], CTL_NAME_MAX)
        || ctl_text(db->pool, "permission", "role", a[1], CTL_NAME_MAX))
        return CTL_USAGE;
    if (ctl_connect(db, 1) != CTL_OK
        || ctl_query(db, grant ? INVITE_ADMIN_PERMISSION_GRANT
                               : INVITE_ADMIN_PERMISSION_REVOKE,
                     &nrows, 2, a) != CTL_OK)
        return CTL_FAIL;
    if (nrows == 0)
        return ctl_fail(db->pool, grant ? "'%s' is already granted to '%s'"
                                        : "'%s' is not granted to '%s'",
                        a[0], a[1]);
    return CTL_OK;
}

/* ---------------------------------------------------------------- tokens */

/* A new personal access token: 32 random bytes in unpadded base64url (43
 * characters, the shape of Rocket.Chat's Random.secret()). */
static char *ctl_new_token(apr_pool_t *p)
{
    unsigned char raw[CTL_TOKEN_BYTES];
    char *tok, *c;

    if (apr_generate_random_bytes(raw, sizeof(raw)) != APR_SUCCESS)
        return NULL;
    tok = apr_palloc(p, apr_base64_encode_len(sizeof(raw)));
    apr_base64_encode(tok, (const char *)raw, sizeof(raw));
    OPENSSL_cleanse(raw, sizeof(raw));
    for (c = tok; *c; c++) {
        if (*c == '+')
            *c = '-';
        else if (*c == '/')
            *c = '_';
        else if (*c == '=')
            *c = '\0';
    }
    return tok;
}

static int cmd_token(ctl_db_t *db, apr_array_header_t *args, ctl_opt_t *opts)
{
    const char *sub = args->nelts ? APR_ARRAY_IDX(args, 0, const char *) : "";
    const char *a[2];
    int nrows, all = opts[0].values->nelts > 0;
    int revoke = !strcmp(sub, "revoke");
    ctl_by_e by;

    if (ctl_by(db->pool, "token", &opts[1], &opts[2], &by) != CTL_OK)
        return CTL_USAGE;
    if (all && !revoke)
        return ctl_usage_error(db->pool, "token", "--all goes with 'token"
                               " revoke'");
    if (!(revoke ? args->nelts == (all ? 2 : 3)
                 : args->nelts == 2 && (!strcmp(sub, "add")
                                        || !strcmp(sub, "list"))))
        return ctl_usage_error(db->pool, "token", "bad 'token' arguments");
    if (ctl_text(db->pool, "token", "user",
                 APR_ARRAY_IDX(args, 1, const char *), CTL_NAME_MAX)
        || ctl_text(db->pool, "token", "hash", args->nelts > 2
                    ? APR_ARRAY_IDX(args, 2, const char *) : NULL,
                    CTL_NAME_MAX))
        return CTL_USAGE;
    if (ctl_connect(db, 1) != CTL_OK
        || !(a[0] = ctl_find(db, INVITE_ADMIN_USER_FIND,
                             APR_ARRAY_IDX(args, 1, const char *), by)))
        return CTL_FAIL;
    if (!strcmp(sub, "add")) {
        char *tok = ctl_new_token(db->pool);
        int ok;

        if (!tok || invite_token_init(db->pool) != APR_SUCCESS
            || !(a[1] = invite_token_hash(db->pool, tok)))
            return ctl_fail(db->pool, "cannot make a token");
        ok = ctl_query(db, INVITE_ADMIN_TOKEN_ADD, &nrows, 2, a);
        if (ok == CTL_OK && nrows == 1)
            printf("%s\n", tok);
        else if (ok == CTL_OK)
            ok = ctl_fail(db->pool, "the new token's hash already exists");
        OPENSSL_cleanse(tok, strlen(tok));
        return ok;
    }
    if (revoke) {
        if (all)
            return ctl_query(db, INVITE_ADMIN_TOKEN_REVOKE_ALL, &nrows, 1, a);
        a[1] = APR_ARRAY_IDX(args, 2, const char *);
        if (ctl_query(db, INVITE_ADMIN_TOKEN_REVOKE, &nrows, 2, a) != CTL_OK)
            return CTL_FAIL;
        return nrows ? CTL_OK
                     : ctl_fail(db->pool, "the user has no token with that"
                                " hash");
    }
    {
        apr_dbd_results_t *res;
        apr_dbd_row_t *row = NULL;

        if (ctl_select(db, INVITE_ADMIN_TOKEN_LIST, &res, 1, a) != CTL_OK)
            return CTL_FAIL;
        while (ctl_row(db, res, &row)) {
            const char *when = ctl_col(db, row, 1);
            printf("%s\t%s\n", ctl_col(db, row, 0), when ? when : "-");
        }
    }
    return CTL_OK;
}

/* ---------------------------------------------- purge, stats, check */

static int cmd_purge(ctl_db_t *db, apr_array_header_t *args, ctl_opt_t *opts)
{
    long long days = CTL_PURGE_DAYS, batch = CTL_PURGE_BATCH, total = 0;
    const char *a[3];
    int nrows;

    if (args->nelts)
        return ctl_usage_error(db->pool, "purge", "purge takes no arguments");
    if (ctl_opt(&opts[0])
        && (days = ctl_number(ctl_opt(&opts[0]), 0, 100000)) < 0)
        return ctl_usage_error(db->pool, "purge",
                               "--days is a number of days (0 to 100000)");
    if (ctl_opt(&opts[1])
        && (batch = ctl_number(ctl_opt(&opts[1]), 1, CTL_PURGE_BATCH_MAX)) < 0)
        return ctl_usage_error(db->pool, "purge",
                               "--batch is a number from 1 to %d",
                               CTL_PURGE_BATCH_MAX);
    if (ctl_connect(db, 1) != CTL_OK)
        return CTL_FAIL;
    a[0] = a[1] = apr_psprintf(db->pool, "%" APR_INT64_T_FMT,
                               (apr_int64_t)(invite_time_now_ms()
                                             - days * INVITE_MS_PER_DAY));
    a[2] = apr_psprintf(db->pool, "%" APR_INT64_T_FMT, (apr_int64_t)batch);
    do {
        apr_dbd_transaction_t *txn;
        int ok;

        if (ctl_begin(db, &txn) != CTL_OK)
            return CTL_FAIL;
        ok = ctl_query(db, INVITE_ADMIN_PURGE, &nrows, 3, a);
        if (ctl_end(db, txn, ok) != CTL_OK) {
            printf("purged %lld invites\n", total);
            return CTL_FAIL;
        }
        total += nrows;
    } while (nrows >= batch);
    printf("purged %lld invites\n", total);
    return CTL_OK;
}

static int cmd_stats(ctl_db_t *db, apr_array_header_t *args)
{
    static const char *const names[INVITE_ADMIN_STATS_COL_COUNT] = {
        "users", "rooms", "subscriptions", "tokens", "invites live",
        "invites expired", "invites used up", "schema version"
    };
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    const char *a[2];
    int i;

    if (args->nelts)
        return ctl_usage_error(db->pool, "stats", "stats takes no arguments");
    if (ctl_connect(db, 1) != CTL_OK)
        return CTL_FAIL;
    a[0] = a[1] = apr_psprintf(db->pool, "%" APR_INT64_T_FMT, (apr_int64_t)invite_time_now_ms());
    if (ctl_select(db, INVITE_ADMIN_STATS, &res, 2, a) != CTL_OK)
        return CTL_FAIL;
    if (!ctl_row(db, res, &row))
        return ctl_fail(db->pool, "stats: no row");
    for (i = 0; i < INVITE_ADMIN_STATS_COL_COUNT; i++) {
        const char *v = ctl_col(db, row, i);
        printf("%s: %s\n", names[i], v ? v : "none");
    }
    while (ctl_row(db, res, &row))
        ;
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
    int rv = apr_dbd_query(db->driver, db->handle, &nrows, "BEGIN IMMEDIATE");

    if (rv == 0) {
        rv = apr_dbd_query(db->driver, db->handle, &nrows, "ROLLBACK");
        if (rv == 0)
            return CTL_OK;
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

static int cmd_check(ctl_db_t *db, apr_array_header_t *args)
{
    int version, i, failed = 0, prepared = 0;

    if (args->nelts)
        return ctl_usage_error(db->pool, "check", "check takes no arguments");
    if (ctl_connect(db, 1) != CTL_OK)
        return CTL_FAIL;
    version = ctl_version(db, 0);
    if (version < 0)
        return CTL_FAIL;
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

        if (!s->sql)
            continue;
        rv = apr_dbd_prepare(db->driver, db->pool, db->handle, s->sql,
                             s->label, &st);
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
        if (ctl_stmt(db, i))
            prepared++;
        else
            failed++;
    }
    printf("admin statements prepared: %d\n", prepared);
    if (db->engine->id == INVITE_ENGINE_SQLITE3) {
        if (ctl_check_write(db) == CTL_OK)
            printf("write lock taken and released\n");
        else
            failed++;
    }
    if (failed)
        return ctl_fail(db->pool, "check failed: %d problem%s", failed,
                        failed > 1 ? "s" : "");
    printf("ok\n");
    return CTL_OK;
}

/* ------------------------------------------------------------------ main */

static int ctl_is_help(const char *a)
{
    return !strcmp(a, "--help") || !strcmp(a, "-h");
}

static int ctl_run(apr_pool_t *p, int argc, const char **argv)
{
    ctl_db_t db;
    const char *file = NULL, *user = NULL, *conf_user = NULL, *cmd;
    apr_array_header_t *args;
    const ctl_help_t *help;
    int i = 1, rv;
    /* Each subcommand's options; cmd_* read them by position. */
    ctl_opt_t migrate_opts[] = { { "--status", 0, NULL },
                                 { "--migrations", 1, NULL }, { NULL, 0, NULL } };
    ctl_opt_t user_add_opts[] = { { "--id", 1, NULL }, { "--role", 1, NULL },
                                  { NULL, 0, NULL } };
    ctl_opt_t room_add_opts[] = { { "--id", 1, NULL }, { "--type", 1, NULL },
                                  { "--fname", 1, NULL },
                                  { "--prid", 1, NULL }, { NULL, 0, NULL } };
    /* --id, --name: how USER and ROOM arguments are read (ctl_by). */
    ctl_opt_t find_opts[] = { { "--id", 0, NULL }, { "--name", 0, NULL },
                              { NULL, 0, NULL } };
    ctl_opt_t member_opts[] = { { "--role", 1, NULL }, { "--id", 0, NULL },
                                { "--name", 0, NULL }, { NULL, 0, NULL } };
    ctl_opt_t token_opts[] = { { "--all", 0, NULL }, { "--id", 0, NULL },
                               { "--name", 0, NULL }, { NULL, 0, NULL } };
    int adding;
    ctl_opt_t purge_opts[] = { { "--days", 1, NULL }, { "--batch", 1, NULL },
                               { NULL, 0, NULL } };
    ctl_opt_t no_opts[] = { { NULL, 0, NULL } };
    ctl_opt_t *opts = no_opts;

    memset(&db, 0, sizeof(db));
    db.pool = p;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];

        if (ctl_is_help(a)) {
            ctl_print_usage(stdout);
            return CTL_OK;
        }
        if (!strcmp(a, "--version")) {
            printf("invitectl %s\nschema version %d\n", INVITE_VERSION,
                   INVITE_SCHEMA_VERSION);
            return CTL_OK;
        }
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (strcmp(a, "-d") && strcmp(a, "-p") && strcmp(a, "-f")
            && strcmp(a, "-u"))
            return ctl_usage_error(p, NULL, "unknown option '%s'", a);
        if (i + 1 >= argc)
            return ctl_usage_error(p, NULL, "%s needs a value", a);
        if (a[1] == 'd')
            db.driver_name = argv[++i];
        else if (a[1] == 'p')
            db.params = argv[++i];
        else if (a[1] == 'u')
            user = argv[++i];
        else
            file = argv[++i];
    }
    if (i >= argc)
        return ctl_usage_error(p, NULL, "no command");
    cmd = argv[i++];
    if (!strcmp(cmd, "help")) {
        if (i >= argc) {
            ctl_print_usage(stdout);
            return CTL_OK;
        }
        cmd = argv[i];
        if (!ctl_help_of(cmd))
            return ctl_usage_error(p, NULL, "unknown command '%s'", cmd);
        help = ctl_help_of(cmd);
        printf("Usage: invitectl [-d DRIVER -p PARAMS | -f FILE] %s\n\n%s",
               help->usage, help->help);
        return CTL_OK;
    }
    help = ctl_help_of(cmd);
    if (!help)
        return ctl_usage_error(p, NULL, "unknown command '%s'", cmd);
    for (rv = i; rv < argc; rv++) {
        if (!strcmp(argv[rv], "--"))
            break;
        if (ctl_is_help(argv[rv])) {
            printf("Usage: invitectl [-d DRIVER -p PARAMS | -f FILE] %s\n\n%s",
                   help->usage, help->help);
            return CTL_OK;
        }
    }
    /* `user add` and `room add` (the subcommand first) have options of
     * their own: there --id gives the new id. */
    adding = i < argc && !strcmp(argv[i], "add");
    if (!strcmp(cmd, "migrate"))
        opts = migrate_opts;
    else if (!strcmp(cmd, "user"))
        opts = adding ? user_add_opts : find_opts;
    else if (!strcmp(cmd, "room"))
        opts = adding ? room_add_opts : find_opts;
    else if (!strcmp(cmd, "member"))
        opts = member_opts;
    else if (!strcmp(cmd, "token"))
        opts = token_opts;
    else if (!strcmp(cmd, "purge"))
        opts = purge_opts;
    rv = ctl_parse(p, cmd, argc - i, argv + i, opts, &args);
    if (rv != CTL_OK)
        return rv;

    /* The file also names Apache's user (User), unless -u does. */
    if (file) {
        if (ctl_read_conf(p, file, &db.driver_name, &db.params, &conf_user)
            != CTL_OK)
            return CTL_FAIL;
        if (!db.driver_name)
            return ctl_fail(p, "no DBDriver in %s", file);
        if (!db.params)
            return ctl_fail(p, "no DBDParams in %s", file);
    }
    ctl_apache_user(&db, user, conf_user, file);
    if (!db.driver_name || !db.params)
        return ctl_usage_error(p, NULL, "no database: give -d DRIVER -p PARAMS"
                               " or -f FILE");
    db.passwords = invite_dbname_passwords(p, db.driver_name, db.params);
    ctl_current = &db;

    if (!strcmp(cmd, "init"))
        rv = cmd_init(&db, args);
    else if (!strcmp(cmd, "migrate"))
        rv = cmd_migrate(&db, args, opts);
    else if (!strcmp(cmd, "check"))
        rv = cmd_check(&db, args);
    else if (!strcmp(cmd, "stats"))
        rv = cmd_stats(&db, args);
    else if (!strcmp(cmd, "user"))
        rv = adding ? cmd_user_add(&db, args, opts) : cmd_user(&db, args, opts);
    else if (!strcmp(cmd, "room"))
        rv = adding ? cmd_room_add(&db, args, opts) : cmd_room(&db, args, opts);
    else if (!strcmp(cmd, "member"))
        rv = cmd_member(&db, args, opts);
    else if (!strcmp(cmd, "permission"))
        rv = cmd_permission(&db, args);
    else if (!strcmp(cmd, "token"))
        rv = cmd_token(&db, args, opts);
    else
        rv = cmd_purge(&db, args, opts);
    ctl_close(&db);
    /* Closed: SQLite removed the -wal and -shm files it made for us. */
    if (rv == CTL_OK && db.check_apache_user)
        ctl_check_apache_user(&db);
    ctl_current = NULL;
    return rv;
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *p;
    int rv;

    if (apr_app_initialize(&argc, &argv, NULL) != APR_SUCCESS) {
        fprintf(stderr, "invitectl: cannot initialise APR\n");
        return CTL_FAIL;
    }
    apr_pool_create(&p, NULL);
    apr_dbd_init(p);
    rv = ctl_run(p, argc, (const char **)argv);
    if (fflush(stdout) != 0 && rv == CTL_OK) {
        fprintf(stderr, "invitectl: cannot write the output\n");
        rv = CTL_FAIL;
    }
    apr_pool_destroy(p);
    apr_terminate();
    return rv;
}
