/* test_dbname.c - the database a DBDParams string names, for log lines:
 * the sqlite3 path; pgsql conninfo (quotes, escapes) and URIs; never the
 * password; the invitectl hint. */
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "invite_dbname.h"
#include "tap.h"

static invite_dbname_t db;
static apr_pool_t *pool;

static const char *label(const char *driver, const char *params)
{
    invite_dbname_parse(pool, driver, params, &db);
    return db.label;
}

int main(void)
{
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

    /* the password, for invitectl to hide in its messages */
    is_str(invite_dbname_password(pool, "pgsql", "host=h password='a b\\'c' dbname=d"),
           "a b'c", "password: quoted conninfo value, unescaped");
    is_str(invite_dbname_password(pool, "pgsql", "password=s3cr3t user=u"),
           "s3cr3t", "password: bare conninfo value");
    is_str(invite_dbname_password(pool, "pgsql", "postgresql://u:p%40ss@h/db"),
           "p@ss", "password: from a URI, decoded");
    ok(invite_dbname_password(pool, "pgsql", "postgresql://u@h/db") == NULL,
       "password: none in a URI without one");
    ok(invite_dbname_password(pool, "pgsql", "host=h dbname=d") == NULL,
       "password: none in conninfo without one");
    ok(invite_dbname_password(pool, "sqlite3", "/tmp/password=x") == NULL,
       "password: none for sqlite3");
    ok(strstr(label("pgsql", "host=h password=s3cr3t"), "s3cr3t") == NULL,
       "the label still leaves the password out");

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
