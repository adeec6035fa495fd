/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invitectl - mod_invite's admin command (docs/invitectl.8): messages,
 * options, help, the command table and main().
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
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <apr_dbd.h>
#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "invite_dbname.h"
#include "invite_version.h"
#include "ctl.h"

/* The commands, in the order of the usage. */
static const ctl_command_t *const ctl_commands[] = {
    &ctl_cmd_init,
    &ctl_cmd_migrate,
    &ctl_cmd_check,
    &ctl_cmd_stats,
    &ctl_cmd_user,
    &ctl_cmd_room,
    &ctl_cmd_member,
    &ctl_cmd_permission,
    &ctl_cmd_token,
    &ctl_cmd_purge,
    NULL
};

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
    for (; s && *s && msg; s++) {
        for (from = 0; (hit = strstr(msg + from, *s)) != NULL; from += 3) {
            from = hit - msg;
            msg = apr_pstrcat(p, apr_pstrmemdup(p, msg, from), "***",
                              hit + strlen(*s), NULL);
        }
    }
    return msg;
}

int ctl_fail(apr_pool_t *p, const char *fmt, ...)
{
    va_list ap;
    const char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    fprintf(stderr, "invitectl: %s\n", ctl_redact(p, msg));
    return CTL_FAIL;
}

int ctl_usage_error(apr_pool_t *p, const char *cmd, const char *fmt, ...)
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

/* ---------------------------------------------------------------- help */

static void ctl_print_usage(FILE *out)
{
    const ctl_command_t *const *c;

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
    for (c = ctl_commands; *c; c++) {
        fprintf(out, "  %s\n", (*c)->synopsis);
    }
    fprintf(out, "\nExit status: 0 success, 1 failure, 2 usage error.\n");
}

static void ctl_print_help(const ctl_command_t *cmd)
{
    printf("Usage: invitectl [-d DRIVER -p PARAMS | -f FILE] %s\n\n%s",
           cmd->synopsis, cmd->help);
}

/* The command named name, or NULL. */
static const ctl_command_t *ctl_command(const char *name)
{
    const ctl_command_t *const *c;

    for (c = ctl_commands; *c; c++) {
        if (!strcmp((*c)->name, name)) {
            return *c;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------- options */

/* Reads a command's words: "--name" flags and "--name VALUE" (or
 * --name=VALUE) pairs of its options, each value pushed on (*values)[i]
 * for options[i]; the rest positional.  "--" ends the options. */
static int ctl_parse(apr_pool_t *p, const char *cmd, int argc,
                     const char **argv, const ctl_option_t *options,
                     apr_array_header_t ***values,
                     apr_array_header_t **positional)
{
    const ctl_option_t *o;
    int i, done = 0, n_opts = 0;

    *positional = apr_array_make(p, 4, sizeof(const char *));
    for (o = options; o && o->name; o++) {
        n_opts++;
    }
    *values = apr_pcalloc(p, (n_opts + 1) * sizeof(**values));
    for (i = 0; i < n_opts; i++) {
        (*values)[i] = apr_array_make(p, 1, sizeof(const char *));
    }
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *eq;
        apr_array_header_t *v;
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
        for (o = options; o && o->name; o++) {
            if (strlen(o->name) == n && !strncmp(o->name, a, n)) {
                break;
            }
        }
        if (!o || !o->name) {
            return ctl_usage_error(p, cmd, "unknown option '%s'",
                                   apr_pstrmemdup(p, a, n));
        }
        v = (*values)[o - options];
        if (!o->takes_value) {
            if (eq) {
                return ctl_usage_error(p, cmd, "%s takes no value", o->name);
            }
            APR_ARRAY_PUSH(v, const char *) = "1";
        }
        else if (eq) {
            APR_ARRAY_PUSH(v, const char *) = eq + 1;
        }
        else if (i + 1 < argc) {
            APR_ARRAY_PUSH(v, const char *) = argv[++i];
        }
        else {
            return ctl_usage_error(p, cmd, "%s needs a value", o->name);
        }
    }
    return CTL_OK;
}

/* The last value of an option, or NULL. */
const char *ctl_opt(const apr_array_header_t *values)
{
    return values->nelts
        ? APR_ARRAY_IDX(values, values->nelts - 1, const char *) : NULL;
}

/* A whole number in [min, max] from s, or -1. */
long long ctl_number(const char *s, long long min, long long max)
{
    char *end;
    long long v;

    if (!s || !apr_isdigit(*s)) {
        return -1;
    }
    v = apr_strtoi64(s, &end, 10);
    if (*end || v < min || v > max) {
        return -1;
    }
    return v;
}

/* CTL_OK when s (NULL: not given) is 1 to max bytes without control
 * characters (below 0x20, and 0x7f), else CTL_USAGE after a message that
 * names `what` of command cmd, never s itself. */
int ctl_text(apr_pool_t *p, const char *cmd, const char *what,
             const char *s, size_t max)
{
    const unsigned char *c;

    if (!s) {
        return CTL_OK;
    }
    if (!*s) {
        return ctl_usage_error(p, cmd, "empty %s", what);
    }
    if (strlen(s) > max) {
        return ctl_usage_error(p, cmd, "the %s is longer than %d bytes",
                               what, (int)max);
    }
    for (c = (const unsigned char *)s; *c; c++) {
        if (*c < 0x20 || *c == 0x7f) {
            return ctl_usage_error(p, cmd, "the %s holds a control"
                                   " character (0x%02x)", what, *c);
        }
    }
    return CTL_OK;
}

/* ctl_text for each of a[from..], names, roles or permissions. */
int ctl_texts(apr_pool_t *p, const char *cmd, const char *what,
              const apr_array_header_t *a, int from)
{
    int i, rv = CTL_OK;

    for (i = from; i < a->nelts && rv == CTL_OK; i++) {
        rv = ctl_text(p, cmd, what, APR_ARRAY_IDX(a, i, const char *),
                      CTL_NAME_MAX);
    }
    return rv;
}

/* ------------------------------------------------------------------ main */

static int ctl_is_help(const char *a)
{
    return !strcmp(a, "--help") || !strcmp(a, "-h");
}

/* The row that runs cmd with words argv[0..]: the subcommand row the
 * first word names (before any option: `user add`), else cmd's own. */
static const ctl_command_t *ctl_row_of(const ctl_command_t *cmd, int argc,
                                       const char **argv)
{
    const ctl_command_t *sub;

    for (sub = cmd->subcommands; argc && sub && sub->name; sub++) {
        if (!strcmp(argv[0], sub->name)) {
            return sub;
        }
    }
    return cmd;
}

static int ctl_run(apr_pool_t *p, int argc, const char **argv)
{
    ctl_db_t db;
    const char *file = NULL, *user = NULL, *conf_user = NULL;
    const ctl_command_t *cmd, *row;
    apr_array_header_t *args, **opts;
    int i = 1, rv;

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
            && strcmp(a, "-u")) {
            return ctl_usage_error(p, NULL, "unknown option '%s'", a);
        }
        if (i + 1 >= argc) {
            return ctl_usage_error(p, NULL, "%s needs a value", a);
        }
        if (a[1] == 'd') {
            db.driver_name = argv[++i];
        }
        else if (a[1] == 'p') {
            db.params = argv[++i];
        }
        else if (a[1] == 'u') {
            user = argv[++i];
        }
        else {
            file = argv[++i];
        }
    }
    if (i >= argc) {
        return ctl_usage_error(p, NULL, "no command");
    }
    if (!strcmp(argv[i], "help")) {
        if (++i >= argc) {
            ctl_print_usage(stdout);
            return CTL_OK;
        }
        if (!(cmd = ctl_command(argv[i]))) {
            return ctl_usage_error(p, NULL, "unknown command '%s'", argv[i]);
        }
        ctl_print_help(cmd);
        return CTL_OK;
    }
    if (!(cmd = ctl_command(argv[i]))) {
        return ctl_usage_error(p, NULL, "unknown command '%s'", argv[i]);
    }
    for (rv = ++i; rv < argc && strcmp(argv[rv], "--"); rv++) {
        if (ctl_is_help(argv[rv])) {
            ctl_print_help(cmd);
            return CTL_OK;
        }
    }
    row = ctl_row_of(cmd, argc - i, argv + i);
    rv = ctl_parse(p, cmd->name, argc - i, argv + i, row->options, &opts,
                   &args);
    if (rv != CTL_OK) {
        return rv;
    }

    /* The file also names Apache's user (User), unless -u does. */
    if (file) {
        if (ctl_read_conf(p, file, &db.driver_name, &db.params, &conf_user)
            != CTL_OK) {
            return CTL_FAIL;
        }
        if (!db.driver_name) {
            return ctl_fail(p, "no DBDriver in %s", file);
        }
        if (!db.params) {
            return ctl_fail(p, "no DBDParams in %s", file);
        }
    }
    ctl_apache_user(&db, user, conf_user, file);
    if (!db.driver_name || !db.params) {
        return ctl_usage_error(p, NULL, "no database: give -d DRIVER -p PARAMS"
                               " or -f FILE");
    }
    db.passwords = invite_dbname_passwords(p, db.driver_name, db.params);
    ctl_current = &db;

    rv = row->handler(&db, args, opts);
    ctl_close(&db);
    /* Closed: SQLite removed the -wal and -shm files it made for us. */
    if (rv == CTL_OK && db.check_apache_user) {
        ctl_check_apache_user(&db);
    }
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
