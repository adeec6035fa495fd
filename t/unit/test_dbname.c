/* SPDX-License-Identifier: Apache-2.0 */
/* test_dbname.c - the database a DBDParams string names, for log lines:
 * the sqlite3 path; pgsql conninfo (quotes, escapes) and URIs; never the
 * password; the invitectl hint. */
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "invite_dbname.h"
#include "tap.h"

static invite_dbname_t db;
static apr_pool_t *pool;

static const char *label(const char *driver, const char *params)
{
    invite_dbname_parse(pool, driver, params, &db);
    return db.label;
}

/* What invite_dbname_passwords finds: every form of every password. */
typedef struct {
    const char *driver, *params, *forms, *name;
} password_case_t;

static const password_case_t password_cases[] = {
    { "pgsql", "host=h password='a b\\'c' dbname=d", "'a b\\'c'|a b'c",
      "passwords: quoted conninfo value, as written and unescaped" },
    { "pgsql", "password=s3cr3t user=u", "s3cr3t",
      "passwords: bare conninfo value, one form" },
    { "pgsql", "postgresql://u:p%40ss@h/db", "p%40ss|p@ss",
      "passwords: from a URI's userinfo, as written and decoded" },
    { "pgsql", "postgresql://u:p%40ss%zz@h/db", "p%40ss%zz|p@ss%zz",
      "passwords: a malformed %-escape, as written (libpq quotes it)" },
    { "pgsql", "postgresql://u:A%41@h/db?password=q%2Fr&sslmode=x",
      "q%2Fr|A%41|q/r|AA",
      "passwords: userinfo and query both, longest first" },
    { "pgsql", "password=a password=bb", "bb|a",
      "passwords: each of two password= values" },
    { "pgsql", "postgresql://u@h/db", "(none)",
      "passwords: none in a URI without one" },
    { "pgsql", "postgresql://u:@h/db", "(none)",
      "passwords: an empty one is nothing to hide" },
    { "pgsql", "host=h dbname=d", "(none)",
      "passwords: none in conninfo without one" },
    { "sqlite3", "/tmp/password=x", "(none)", "passwords: none for sqlite3" },
};

/* invite_dbname_passwords joined with "|", or "(none)" for NULL. */
static const char *forms(const char *driver, const char *params)
{
    const char **f = invite_dbname_passwords(pool, driver, params);
    const char *out = NULL;

    for (; f && *f; f++) {
        out = out ? apr_pstrcat(pool, out, "|", *f, NULL) : *f;
    }
    return f ? out : "(none)";
}

int main(void)
{
    size_t i;

    apr_initialize();
    apr_pool_create(&pool, NULL);

    /* sqlite3: the path as it is */
    is_str(label("sqlite3", "/var/lib/invite/invite.db"),
           "/var/lib/invite/invite.db (sqlite3)", "sqlite3: the path");
    is_str(db.sqlite_path, "/var/lib/invite/invite.db", "sqlite3: sqlite_path");
    is_str(invite_dbname_invitectl(pool, &db, "init"),
           "invitectl -d sqlite3 -p /var/lib/invite/invite.db init",
           "sqlite3: the invitectl line");
    label("sqlite3", "/srv/my invites/i.db");
    is_str(invite_dbname_invitectl(pool, &db, "migrate"),
           "invitectl -d sqlite3 -p \"/srv/my invites/i.db\" migrate",
           "a path with a space is quoted for the shell");
    is_str(label("sqlite3", NULL), "no DBDParams (sqlite3)", "sqlite3 without DBDParams");

    /* sqlite3: a file: URI names its path, %-decoded */
    is_str(label("sqlite3", "file:/var/lib/mod-invite/invite.db?mode=rw"),
           "file:/var/lib/mod-invite/invite.db?mode=rw (sqlite3)", "file: URI: the label as written");
    is_str(db.sqlite_path, "/var/lib/mod-invite/invite.db", "file: URI: the path without the query");
    ok(db.sqlite_no_create, "file: URI: mode=rw never creates the file");
    label("sqlite3", "file:///srv/my%20invites/i.db#x");
    is_str(db.sqlite_path, "/srv/my invites/i.db", "file:///: the path, decoded, without the fragment");
    ok(!db.sqlite_no_create, "file: URI without mode: may create the file");
    label("sqlite3", "file://localhost/srv/i.db?cache=shared&mode=ro");
    is_str(db.sqlite_path, "/srv/i.db", "file://localhost/: the path");
    ok(db.sqlite_no_create, "mode=ro among other parameters");
    label("sqlite3", "file://otherhost/srv/i.db");
    ok(db.sqlite_path == NULL, "file://otherhost/: no local path");
    label("sqlite3", "/var/lib/mod-invite/invite.db");
    ok(!db.sqlite_no_create, "a plain path: SQLite creates a missing file");

    /* sqlite3: what is missing, the directory or the file */
    is_str(invite_dbname_sqlite_missing(pool, "/nonexistent-dir-x/invite.db"),
           "no directory /nonexistent-dir-x", "missing: the directory");
    is_str(invite_dbname_sqlite_missing(pool, "/tmp/no-such-invite-db-x.db"),
           "no file /tmp/no-such-invite-db-x.db", "missing: the file");
    ok(invite_dbname_sqlite_missing(pool, "/dev/null") == NULL, "an existing file: nothing missing");
    ok(invite_dbname_sqlite_missing(pool, ":memory:") == NULL, ":memory: is never missing");

    /* pgsql key=value */
    is_str(label("pgsql", "host=db.internal port=5432 dbname=invite user=invite "
                          "password=s3cret sslmode=verify-full"),
           "host=db.internal port=5432 dbname=invite user=invite (pgsql)",
           "pgsql: host, port, dbname, user; password and the rest left out");
    ok(db.sqlite_path == NULL, "pgsql: no sqlite_path");
    is_str(invite_dbname_invitectl(pool, &db, "init"),
           "invitectl -d pgsql -p \"host=db.internal port=5432 dbname=invite user=invite\" init",
           "pgsql: the invitectl line, quoted");
    is_str(label("pgsql", "  user = 'o\\'brien'  password='pa ss word' "
                          "dbname='my db' hostaddr=10.0.0.5 "
                          "options='-c lock_timeout=2000'"),
           "hostaddr=10.0.0.5 dbname='my db' user='o\\'brien' (pgsql)",
           "quoted values, spaces around '=', escapes kept as libpq reads them");
    ok(!strstr(db.label, "pa ss"), "the quoted password is not in the label");
    is_str(label("pgsql", "dbname=a\\ b password=x\\ y"),
           "dbname='a b' (pgsql)", "a backslash-escaped space in a bare value");
    is_str(label("pgsql", "host=/run/postgresql port=5433,5434 dbname=invite"),
           "host=/run/postgresql port=5433,5434 dbname=invite (pgsql)",
           "a socket directory and a port list");
    is_str(label("pgsql", "dbname=x password='unterminated"),
           "unparsable DBDParams (pgsql)", "unterminated quote: nothing of it shown");
    is_str(label("pgsql", "password"), "unparsable DBDParams (pgsql)",
           "a key without '=': nothing of it shown");
    is_str(label("pgsql", ""), "libpq's default database (pgsql)",
           "empty conninfo: libpq's defaults");
    is_str(db.params, "", "... and no params");

    /* pgsql URIs */
    is_str(label("pgsql", "postgresql://invite:s3cret@db.internal:5432/invite"
                          "?sslmode=require&connect_timeout=3"),
           "host=db.internal port=5432 dbname=invite user=invite (pgsql)",
           "URI: user, host, port, dbname; the password left out");
    ok(!strstr(db.label, "s3cret") && !strstr(db.params, "s3cret"),
       "no password anywhere");
    is_str(label("pgsql", "postgres://%2Fvar%2Frun%2Fpostgresql/inv%20ite"),
           "host=/var/run/postgresql dbname='inv ite' (pgsql)",
           "postgres://, %-escapes decoded");
    is_str(label("pgsql", "postgresql://[::1]:5433,h2/invite?user=bob&password=x"),
           "host=::1,h2 port=5433, dbname=invite user=bob (pgsql)",
           "an IPv6 host, a host list, user in the query, its password dropped");
    is_str(label("pgsql", "postgresql:///invite?host=/tmp&port=5999"),
           "host=/tmp port=5999 dbname=invite (pgsql)",
           "no authority: host and port from the query");
    is_str(label("pgsql", "postgresql://u@/"), "user=u (pgsql)", "only a user");

    /* other drivers: nothing of the parameters */
    is_str(label("mysql", "host=x,pass=secret"), "a mysql database",
           "another driver: no parameters shown");
    ok(invite_dbname_invitectl(pool, &db, "init") == NULL,
       "... and no invitectl line");
    is_str(label(NULL, NULL), "no DBDriver", "nothing configured");

    /* the passwords, for invitectl to hide in its messages: every form */
    for (i = 0; i < sizeof(password_cases) / sizeof(password_cases[0]); i++) {
        const password_case_t *c = &password_cases[i];
        is_str(forms(c->driver, c->params), c->forms, c->name);
    }
    ok(strstr(label("pgsql", "host=h password=s3cr3t"), "s3cr3t") == NULL,
       "the label still leaves the password out");

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
