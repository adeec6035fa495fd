/* SPDX-License-Identifier: Apache-2.0 */
/* test_sync_store.c - invite-sync's store (src/sync/): change events of
 * Rocket.Chat's MongoDB, in MongoDB's documented change-event format and
 * canonical Extended JSON (bson_new_from_json), applied to a scratch
 * SQLite database made from conf/schema-sqlite3.sql, the SQL compared
 * after each; the full copy; sync_state, the lease and the join outbox.
 * The same again on PostgreSQL when INVITE_TEST_PG_PARAMS names a cluster
 * where its user may create a database (scripts/pg-cluster.sh's): the test
 * runs in a database of its own, dropped at the end (t/sync_store.t runs it
 * so in make test's pgsql suite).
 *
 * The fixtures are written with ' for " (none of them holds a quote). */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_dbd.h>
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <sqlite3.h>

#include "invite_sql.h"
#include "invite_sync_store.h"
#include "tap.h"

static apr_pool_t *pool;

/* A second connection of the test's own, to read the tables. */
static const apr_dbd_driver_t *driver;
static apr_dbd_t *reader;
static const char *engine;       /* "sqlite3" or "pgsql" */
static const char *sqlite_path;

/* base64(SHA-256("plain-secret")), computed by openssl dgst. */
#define PLAIN_SECRET_HASH "zA52CLc+pzsI/Si1gsIbpM5aCxySAr99LcyFNmIFtiI="

/* ------------------------------------------------------------ fixtures */

static bson_t *json(const char *text)
{
    char *s = apr_pstrdup(pool, text), *q;
    bson_error_t e;
    bson_t *b;

    for (q = s; *q; q++) {
        if (*q == '\'') {
            *q = '"';
        }
    }
    b = bson_new_from_json((const uint8_t *)s, -1, &e);
    if (!b) {
        printf("# bad fixture: %s\n#   %s\n", e.message, s);
        exit(2);
    }
    return b;
}

static long seq;

/* A change event of MongoDB's documented shape: op on coll of document
 * key id, with the fullDocument updateLookup found (full: JSON, "null",
 * or NULL for none, as delete events have) and, for updates, an
 * updateDescription (upd: JSON of it, or NULL). */
static bson_t *event(const char *op, const char *coll, const char *id,
                     const char *full, const char *upd)
{
    seq++;
    return json(apr_psprintf(pool,
        "{'_id': {'_data': '8265A1B2C3%08lX2B022C0100296E5A1004'},"
        " 'operationType': '%s',"
        " 'clusterTime': {'$timestamp': {'t': 1700000000, 'i': %ld}},"
        " 'wallTime': {'$date': {'$numberLong': '1700000000000'}},"
        " 'ns': {'db': 'rocketchat', 'coll': '%s'},"
        " 'documentKey': {'_id': '%s'}%s%s%s%s}",
        seq, op, seq, coll, id,
        upd ? ", 'updateDescription': " : "", upd ? upd : "",
        full ? ", 'fullDocument': " : "", full ? full : ""));
}

#define DATE(ms) "{'$date': {'$numberLong': '" #ms "'}}"

/* ------------------------------------------------------------- reading */

/* The rows of a query as "a|b|c" lines joined by ";", NULL as "-". */
static const char *rows(const char *sql)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *out = "";
    int rv = apr_dbd_select(driver, pool, reader, &res, sql, 1), n, i;

    if (rv) {
        return apr_psprintf(pool, "error: %s",
                            apr_dbd_error(driver, reader, rv));
    }
    n = apr_dbd_num_cols(driver, res);
    while (apr_dbd_get_row(driver, pool, res, &row, -1) == 0) {
        const char *line = "";

        for (i = 0; i < n; i++) {
            char *d = NULL;
            const char *v = apr_dbd_datum_get(driver, row, i,
                                              APR_DBD_TYPE_STRING, &d)
                            == APR_ENOENT ? "-"
                            : apr_dbd_get_entry(driver, row, i);
            line = apr_pstrcat(pool, line, i ? "|" : "", v ? v : "-", NULL);
        }
        out = apr_pstrcat(pool, out, *out ? ";" : "", line, NULL);
    }
    return out;
}

#define USERS() rows("SELECT id, username FROM users ORDER BY id")
#define USER_ROLES() \
    rows("SELECT user_id, role FROM user_roles ORDER BY user_id, role")
#define TOKENS() rows("SELECT user_id, hashed_token, created_at" \
                      " FROM login_tokens ORDER BY user_id, hashed_token")
#define ROOMS() rows("SELECT id, t, name, fname, prid FROM rooms ORDER BY id")
#define SUBS() rows("SELECT user_id, rid, status FROM subscriptions" \
                    " ORDER BY user_id, rid")
#define SUB_ROLES() rows("SELECT user_id, rid, role FROM subscription_roles" \
                         " ORDER BY user_id, rid, role")
#define SUB_IDS() rows("SELECT sub_id, user_id, rid" \
                       " FROM sync_subscription_ids ORDER BY sub_id")
#define PERMS(p) rows("SELECT role FROM permission_roles" \
                      " WHERE permission = '" p "' ORDER BY role")

static void exec(const char *sql)
{
    int n = 0, rv = apr_dbd_query(driver, reader, &n, sql);

    if (rv) {
        printf("# %s: %s\n", sql, apr_dbd_error(driver, reader, rv));
    }
}

/* SQLite's count of commits that changed the file, seen from the reader;
 * -1 on PostgreSQL. */
static long data_version(void)
{
    const char *v;

    if (strcmp(engine, "sqlite3")) {
        return -1;
    }
    v = rows("PRAGMA data_version");
    return atol(v);
}

/* ------------------------------------------------------------ applying */

static invite_sync_store_t *st;
static invite_sync_counts_t last;

/* Applies one event in a transaction of its own: the apply's code. */
static int apply(bson_t *ev)
{
    int rv;

    memset(&last, 0, sizeof(last));
    if (invite_sync_store_begin(st) != INVITE_SYNC_OK) {
        printf("# begin: %s\n", invite_sync_store_error(st));
        return -100;
    }
    rv = invite_sync_apply_event(st, ev, &last);
    if (rv == INVITE_SYNC_DB_ERROR) {
        printf("# apply: %s\n", invite_sync_store_error(st));
        invite_sync_store_rollback(st);
    }
    else if (invite_sync_store_commit(st) != INVITE_SYNC_OK) {
        printf("# commit: %s\n", invite_sync_store_error(st));
        rv = -101;
    }
    bson_destroy(ev);
    return rv;
}

/* Applies ev and checks that it wrote nothing. */
static void unchanged(bson_t *ev, const char *name)
{
    long before = invite_sync_store_changes(st), dv = data_version();

    is_int(apply(ev), INVITE_SYNC_OK, apr_psprintf(pool, "%s: applies", name));
    is_int(invite_sync_store_changes(st) - before, 0,
           apr_psprintf(pool, "%s: no row written", name));
    is_int(data_version(), dv, apr_psprintf(pool, "%s: the file is untouched",
                                            name));
    is_int(last.applied, 0, apr_psprintf(pool, "%s: not counted as applied",
                                         name));
}

#define ALICE(username, roles, active, tokens) \
    "{'_id': 'uA', 'createdAt': " DATE(1690000000000) "," \
    " 'username': '" username "', 'roles': " roles ", 'active': " active "," \
    " 'status': 'online', 'emails': [{'address': 'a@example.org'," \
    " 'verified': true}], 'services': {'password': {'bcrypt': 'x'}," \
    " 'resume': {'loginTokens': " tokens "}}}"
#define TOKEN(hash, ms) "{'when': " DATE(ms) ", 'hashedToken': '" hash "'}"

/* ---------------------------------------------------------------- users */

static void test_users(void)
{
    bson_t *ev;

    ev = event("insert", "users", "uA",
               ALICE("alice", "['user', 'admin', 'user']", "true",
                     "[" TOKEN("hA1", 1700000000000) "]"), NULL);
    is_int(apply(bson_copy(ev)), INVITE_SYNC_OK, "user insert: applies");
    is_int(last.applied, 1, "user insert: counted");
    is_str(USERS(), "uA|alice", "user insert: users");
    is_str(USER_ROLES(), "uA|admin;uA|user",
           "user insert: roles, duplicates collapsed");
    is_str(TOKENS(), "uA|hA1|1700000000000", "user insert: its login token");
    unchanged(ev, "user insert replayed");

    /* Meteor's _insertHashedLoginToken: $addToSet.  Only the document
     * counts; the update description is whatever the server made of it. */
    is_int(apply(event("update", "users", "uA",
        ALICE("alice", "['user', 'admin']", "true",
              "[" TOKEN("hA1", 1700000000000) ", "
              TOKEN("hA2", 1700000100000) "]"),
        "{'updatedFields': {'services.resume.loginTokens.1': "
        TOKEN("hA2", 1700000100000) "}, 'removedFields': [],"
        " 'truncatedArrays': []}")), INVITE_SYNC_OK, "login: applies");
    is_str(TOKENS(), "uA|hA1|1700000000000;uA|hA2|1700000100000",
           "login: the new token is there");
    is_int(last.applied, 1, "login: counted");

    /* destroyToken: $pull. */
    is_int(apply(event("update", "users", "uA",
        ALICE("alice", "['user', 'admin']", "true",
              "[" TOKEN("hA2", 1700000100000) "]"),
        "{'updatedFields': {'services.resume.loginTokens': ["
        TOKEN("hA2", 1700000100000) "]}, 'removedFields': [],"
        " 'truncatedArrays': []}")), INVITE_SYNC_OK, "logout: applies");
    is_str(TOKENS(), "uA|hA2|1700000100000", "logout: the token is gone");

    /* A personal access token: createdAt, no when -> created_at NULL. */
    is_int(apply(event("update", "users", "uA",
        ALICE("alice", "['user', 'admin']", "true",
              "[" TOKEN("hA2", 1700000100000) ", {'hashedToken': 'hPAT',"
              " 'type': 'personalAccessToken', 'createdAt': "
              DATE(1690000000000) ", 'lastTokenPart': 'abcdef',"
              " 'name': 'ci', 'bypassTwoFactor': false}]"), NULL)),
        INVITE_SYNC_OK, "PAT: applies");
    is_str(TOKENS(), "uA|hA2|1700000100000;uA|hPAT|-",
           "PAT: stored without created_at (never expires)");

    /* A very old plain token, hashed as Accounts._hashLoginToken does. */
    is_int(apply(event("replace", "users", "uA",
        ALICE("alice", "['user', 'admin']", "true",
              "[" TOKEN("hA2", 1700000100000) ", {'when': "
              DATE(1600000000000) ", 'token': 'plain-secret'}]"), NULL)),
        INVITE_SYNC_OK, "legacy token: applies");
    is_str(TOKENS(), "uA|hA2|1700000100000;"
           "uA|" PLAIN_SECRET_HASH "|1600000000000",
           "legacy token: hashed base64(SHA-256); the PAT is gone");

    /* Presence: status changes, nothing mod_invite reads does. */
    unchanged(event("update", "users", "uA",
        "{'_id': 'uA', 'createdAt': " DATE(1690000000000) ","
        " 'username': 'alice', 'roles': ['user', 'admin'], 'active': true,"
        " 'status': 'away', 'statusConnection': 'away', 'services':"
        " {'resume': {'loginTokens': [" TOKEN("hA2", 1700000100000) ","
        " {'when': " DATE(1600000000000) ", 'token': 'plain-secret'}]}}}",
        "{'updatedFields': {'status': 'away', 'statusConnection': 'away'},"
        " 'removedFields': [], 'truncatedArrays': []}"),
        "presence update");

    /* Role added and removed. */
    is_int(apply(event("update", "users", "uA",
        ALICE("alice", "['user', 'bot']", "true",
              "[" TOKEN("hA2", 1700000100000) "]"), NULL)),
        INVITE_SYNC_OK, "roles: applies");
    is_str(USER_ROLES(), "uA|bot;uA|user", "roles: admin removed, bot added");

    /* Rename. */
    is_int(apply(event("update", "users", "uA",
        ALICE("alice2", "['user', 'bot']", "true",
              "[" TOKEN("hA2", 1700000100000) "]"), NULL)),
        INVITE_SYNC_OK, "rename: applies");
    is_str(USERS(), "uA|alice2", "rename: the new username");

    /* Deactivation: Rocket.Chat clears the tokens; leftovers do not
     * count either. */
    is_int(apply(event("update", "users", "uA",
        ALICE("alice2", "['user', 'bot']", "false",
              "[" TOKEN("hA2", 1700000100000) "]"), NULL)),
        INVITE_SYNC_OK, "deactivation: applies");
    is_str(TOKENS(), "", "deactivation: no token left");
    is_str(USERS(), "uA|alice2", "deactivation: the user stays");
    is_str(USER_ROLES(), "uA|bot;uA|user", "deactivation: so do its roles");
    is_int(last.skipped, 1, "deactivation: the leftover token is counted");

    /* Reactivation and a changed "when" for the same hash. */
    is_int(apply(event("update", "users", "uA",
        ALICE("alice2", "['user']", "true",
              "[" TOKEN("hA2", 1700000200000) "]"), NULL)),
        INVITE_SYNC_OK, "reactivation: applies");
    is_str(TOKENS(), "uA|hA2|1700000200000", "reactivation: the token");

    /* A user without username, roles or services. */
    is_int(apply(event("insert", "users", "uB", "{'_id': 'uB'}", NULL)),
           INVITE_SYNC_OK, "bare user: applies");
    is_str(USERS(), "uA|alice2;uB|-", "bare user: username NULL");
    is_int(apply(event("update", "users", "uB",
        "{'_id': 'uB', 'username': 'bob', 'roles': ['user'],"
        " 'services': {'resume': {'loginTokens': [" TOKEN("hB1",
        1700000000000) "]}}}", NULL)), INVITE_SYNC_OK,
        "bob: applies");

    /* updateLookup found nothing: the delete event follows. */
    unchanged(event("update", "users", "uB", "null",
        "{'updatedFields': {'status': 'offline'}, 'removedFields': []}"),
        "fullDocument null");
    is_int(last.ignored, 1, "fullDocument null: counted as ignored");
}

/* ---------------------------------------------------------------- rooms */

static void test_rooms(void)
{
    bson_t *ev = event("insert", "rocketchat_room", "rA",
        "{'_id': 'rA', 't': 'c', 'name': 'general', 'fname': 'General',"
        " 'msgs': 0, 'usersCount': 1, 'ts': " DATE(1690000000000) ","
        " 'default': true}", NULL);

    is_int(apply(bson_copy(ev)), INVITE_SYNC_OK, "room insert: applies");
    is_str(ROOMS(), "rA|c|general|General|-", "room insert: the row");
    unchanged(ev, "room insert replayed");
    is_int(apply(event("update", "rocketchat_room", "rA",
        "{'_id': 'rA', 't': 'c', 'name': 'town-square', 'fname': 'Town',"
        " 'msgs': 5}", "{'updatedFields': {'name': 'town-square'},"
        " 'removedFields': []}")), INVITE_SYNC_OK, "room rename: applies");
    is_str(ROOMS(), "rA|c|town-square|Town|-", "room rename: the names");
    is_int(apply(event("update", "rocketchat_room", "rA",
        "{'_id': 'rA', 't': 'p', 'name': 'town-square', 'fname': 'Town'}",
        NULL)), INVITE_SYNC_OK, "room type change: applies");
    is_str(ROOMS(), "rA|p|town-square|Town|-", "room type change: t = p");
    is_int(apply(event("insert", "rocketchat_room", "rB",
        "{'_id': 'rB', 't': 'p', 'name': 'team-sub', 'prid': 'rA'}", NULL)),
        INVITE_SYNC_OK, "discussion: applies");
    is_int(apply(event("insert", "rocketchat_room", "rC",
        "{'_id': 'rC', 't': 'c', 'name': 'doomed'}", NULL)),
        INVITE_SYNC_OK, "room rC: applies");
    is_str(ROOMS(), "rA|p|town-square|Town|-;rB|p|team-sub|-|rA;"
           "rC|c|doomed|-|-", "rooms: three");
}

/* -------------------------------------------------------- subscriptions */

#define SUB(id, rid, uid, more) \
    "{'_id': '" id "', 'rid': '" rid "', 'u': {'_id': '" uid "'," \
    " 'username': 'x'}, 't': 'p', 'open': true, 'alert': false," \
    " 'unread': 0, 'ls': " DATE(1700000000000) more "}"

static void test_subscriptions(void)
{
    bson_t *ev = event("insert", "rocketchat_subscription", "s1",
                       SUB("s1", "rA", "uB", ", 'roles': ['owner']"), NULL);

    is_int(apply(bson_copy(ev)), INVITE_SYNC_OK, "subscription: applies");
    is_str(SUBS(), "uB|rA|-", "subscription: the member");
    is_str(SUB_ROLES(), "uB|rA|owner", "subscription: its room role");
    is_str(SUB_IDS(), "s1|uB|rA", "subscription: its id in the map");
    unchanged(ev, "subscription replayed");
    /* The unread counter moves on every message: nothing to write. */
    unchanged(event("update", "rocketchat_subscription", "s1",
        SUB("s1", "rA", "uB", ", 'roles': ['owner'], 'unread': 7"),
        "{'updatedFields': {'unread': 7}, 'removedFields': []}"),
        "subscription unread counter");

    is_int(apply(event("update", "rocketchat_subscription", "s1",
        SUB("s1", "rA", "uB", ", 'roles': ['moderator', 'leader']"), NULL)),
        INVITE_SYNC_OK, "subscription roles: applies");
    is_str(SUB_ROLES(), "uB|rA|leader;uB|rA|moderator",
           "subscription roles: replaced");

    is_int(apply(event("update", "rocketchat_subscription", "s1",
        SUB("s1", "rA", "uB", ", 'roles': ['leader'], 'status': 'BANNED'"),
        NULL)), INVITE_SYNC_OK, "ban: applies");
    is_str(SUBS(), "uB|rA|BANNED", "ban: status BANNED");
    is_int(apply(event("update", "rocketchat_subscription", "s1",
        SUB("s1", "rA", "uB", ", 'roles': ['leader'], 'status': 'x'"),
        NULL)), INVITE_SYNC_OK, "unban: applies");
    is_str(SUBS(), "uB|rA|-", "unban: any other status is no ban");

    /* The same _id now names another room: the old pair goes. */
    is_int(apply(event("replace", "rocketchat_subscription", "s1",
        SUB("s1", "rB", "uB", ", 'roles': ['owner']"), NULL)),
        INVITE_SYNC_OK, "moved pair: applies");
    is_str(SUBS(), "uB|rB|-", "moved pair: only the new pair");
    is_str(SUB_ROLES(), "uB|rB|owner", "moved pair: the roles moved too");
    is_str(SUB_IDS(), "s1|uB|rB", "moved pair: the map follows");

    is_int(apply(event("insert", "rocketchat_subscription", "s2",
        SUB("s2", "rA", "uA", ""), NULL)), INVITE_SYNC_OK,
        "second subscription: applies");
    is_int(apply(event("insert", "rocketchat_subscription", "s3",
        SUB("s3", "rC", "uA", ", 'roles': ['owner']"), NULL)),
        INVITE_SYNC_OK, "third subscription: applies");
    is_str(SUBS(), "uA|rA|-;uA|rC|-;uB|rB|-", "three subscriptions");

    /* Delete: the event holds the _id only. */
    is_int(apply(event("delete", "rocketchat_subscription", "s1", NULL,
                       NULL)), INVITE_SYNC_OK, "subscription delete: applies");
    is_int(last.deleted, 1, "subscription delete: counted");
    is_str(SUBS(), "uA|rA|-;uA|rC|-", "subscription delete: the pair is gone");
    is_str(SUB_IDS(), "s2|uA|rA;s3|uA|rC", "subscription delete: so is its id");
    unchanged(event("delete", "rocketchat_subscription", "s1", NULL, NULL),
              "subscription delete replayed");
    unchanged(event("delete", "rocketchat_subscription", "never-seen", NULL,
                    NULL), "delete of an unknown subscription");

    /* Missing user or room: skipped and counted, nothing written. */
    unchanged(event("insert", "rocketchat_subscription", "s9",
        SUB("s9", "rA", "nobody", ""), NULL), "subscription, unknown user");
    is_int(last.skipped, 1, "unknown user: counted as skipped");
    unchanged(event("insert", "rocketchat_subscription", "s8",
        SUB("s8", "no-room", "uA", ""), NULL), "subscription, unknown room");
    is_int(last.skipped, 1, "unknown room: counted as skipped");
    is_str(SUB_IDS(), "s2|uA|rA;s3|uA|rC", "unknown user or room: no id");

    /* A room deleted takes its members along. */
    is_int(apply(event("delete", "rocketchat_room", "rC", NULL, NULL)),
           INVITE_SYNC_OK, "room delete: applies");
    is_int(last.deleted, 1, "room delete: counted");
    is_str(ROOMS(), "rA|p|town-square|Town|-;rB|p|team-sub|-|rA",
           "room delete: the room is gone");
    is_str(SUBS(), "uA|rA|-", "room delete: its subscriptions too");
    is_str(SUB_ROLES(), "", "room delete: and their roles");
}

/* ---------------------------------------------------------- permissions */

static void test_permissions(void)
{
    is_str(PERMS("create-invite-links"), "admin;moderator;owner",
           "permissions: the schema's seed");
    is_int(apply(event("update", "rocketchat_permissions",
        "create-invite-links", "{'_id': 'create-invite-links',"
        " 'roles': ['admin', 'leader'], 'group': 'permission',"
        " '_updatedAt': " DATE(1700000000000) "}", NULL)), INVITE_SYNC_OK,
        "permission replace: applies");
    is_str(PERMS("create-invite-links"), "admin;leader",
           "permission replace: the roles are Rocket.Chat's");
    is_str(PERMS("api-bypass-rate-limit"), "admin;app;bot",
           "permission replace: other permissions untouched");
    unchanged(event("update", "rocketchat_permissions", "create-invite-links",
        "{'_id': 'create-invite-links', 'roles': ['leader', 'admin']}",
        NULL), "permission replayed");
    unchanged(event("update", "rocketchat_permissions", "create-invite-links",
        "{'_id': 'create-invite-links', 'group': 'permission'}", NULL),
        "permission without roles");
    is_int(last.skipped, 1, "permission without roles: skipped");
    is_int(apply(event("delete", "rocketchat_permissions",
        "create-invite-links", NULL, NULL)), INVITE_SYNC_OK,
        "permission delete: applies");
    is_str(PERMS("create-invite-links"), "",
           "permission delete: no role holds it");
}

/* ------------------------------------------------------------ malformed */

/* A user insert whose username is the len bytes at name. */
static bson_t *user_named(const char *name, int len)
{
    bson_t *ev = event("insert", "users", "uN", NULL, NULL);
    bson_t full;

    bson_init(&full);
    bson_append_utf8(&full, "_id", -1, "uN", -1);
    bson_append_utf8(&full, "username", -1, name, len);
    BSON_APPEND_DOCUMENT(ev, "fullDocument", &full);
    bson_destroy(&full);
    return ev;
}

static void test_malformed(void)
{

    unchanged(event("insert", "users", "uN",
        "{'_id': 'uN', 'username': 'bad\\u0000name'}", NULL),
        "NUL in a username");
    is_int(last.skipped, 1, "NUL: skipped and counted");
    unchanged(event("insert", "users", "uN",
        "{'_id': 'uN', 'username': 'n', 'roles': 'admin'}", NULL),
        "roles not an array");
    unchanged(event("insert", "users", "uN",
        "{'_id': 'uN', 'username': 'n', 'roles': ['user', 7]}", NULL),
        "a role not a string");
    unchanged(event("insert", "users", "uN",
        "{'_id': {'$numberInt': '5'}, 'username': 'n'}", NULL),
        "_id not a string");
    unchanged(event("insert", "rocketchat_room", "rN",
        "{'_id': 'rN', 'name': 'no-type'}", NULL), "room without t");
    unchanged(event("insert", "rocketchat_room", "rN",
        "{'_id': 'rN', 't': 'c', 'name': ['x']}", NULL),
        "room name not a string");
    unchanged(event("insert", "rocketchat_subscription", "sN",
        "{'_id': 'sN', 'rid': 'rA', 'u': 'uA'}", NULL),
        "subscription u not a document");
    is_str(USERS(), "uA|alice2;uB|bob", "malformed: no user added");
    is_str(ROOMS(), "rA|p|town-square|Town|-;rB|p|team-sub|-|rA",
           "malformed: no room added");

    /* Invalid UTF-8 and a lone surrogate, which JSON cannot carry. */
    unchanged(user_named("\xed\xa0\x80", 3), "a lone surrogate");
    unchanged(user_named("\xff\xfe", 2), "invalid UTF-8");
    is_int(last.skipped, 1, "invalid UTF-8: skipped and counted");

    /* Bad tokens are skipped one by one; the user and good tokens stay. */
    is_int(apply(event("update", "users", "uB",
        "{'_id': 'uB', 'username': 'bob', 'roles': ['user'],"
        " 'services': {'resume': {'loginTokens': ["
        TOKEN("hB1", 1700000000000) ","
        " {'when': '2023-11-14T22:13:20Z', 'hashedToken': 'hStr'},"
        " {'when': {'$numberInt': '5'}, 'hashedToken': 'hInt'},"
        " {'when': {'$date': {'$numberLong': '1000000000000000000'}},"
        "  'hashedToken': 'hBig'},"
        " {'hashedToken': 'hPATbad', 'createdAt': 'yesterday'},"
        " {'when': " DATE(1700000000000) "},"
        " {'when': " DATE(1700000000000) ", 'hashedToken': ''},"
        " {'when': " DATE(1700000000000) ", 'hashedToken': 'h\\u0000'},"
        " 'not-an-object',"
        " {'when': " DATE(1700000000000) ", 'hashedToken': 'hB2'}]}}}",
        NULL)), INVITE_SYNC_OK, "bad tokens: applies");
    is_str(TOKENS(), "uA|hA2|1700000200000;uB|hB1|1700000000000;"
           "uB|hB2|1700000000000", "bad tokens: only the good ones");
    is_int(last.skipped, 8, "bad tokens: each counted");
    is_int(apply(event("update", "users", "uB",
        "{'_id': 'uB', 'username': 'bob', 'roles': ['user'],"
        " 'services': {'resume': {'loginTokens': 'nope'}}}", NULL)),
        INVITE_SYNC_OK, "loginTokens not an array: applies");
    is_str(TOKENS(), "uA|hA2|1700000200000",
           "loginTokens not an array: no token for the user");

    /* Not a change event at all. */
    is_int(apply(json("{'_id': {'_data': '00'}, 'ns': {'db': 'rocketchat',"
                      " 'coll': 'users'}}")), INVITE_SYNC_BAD_EVENT,
           "no operationType: a bad event");
    is_int(apply(json("{'_id': {'_data': '00'}, 'operationType': 'insert'}")),
           INVITE_SYNC_BAD_EVENT, "no ns: a bad event");
    unchanged(event("insert", "rocketchat_message", "m1",
        "{'_id': 'm1', 'msg': 'hello'}", NULL), "another collection");
    is_int(last.ignored, 1, "another collection: ignored");
    unchanged(event("delete", "users", "", NULL, NULL),
              "delete with an empty _id");
}

/* ------------------------------------------------------ stream control */

static void test_resync(void)
{
    is_int(apply(json("{'_id': {'_data': '01'}, 'operationType':"
                      " 'invalidate', 'clusterTime': {'$timestamp':"
                      " {'t': 1700000000, 'i': 9}}}")), INVITE_SYNC_RESYNC,
           "invalidate: resync");
    is_int(apply(json("{'_id': {'_data': '02'}, 'operationType': 'drop',"
                      " 'ns': {'db': 'rocketchat', 'coll': 'users'}}")),
           INVITE_SYNC_RESYNC, "drop of users: resync");
    is_int(apply(json("{'_id': {'_data': '03'}, 'operationType': 'rename',"
                      " 'ns': {'db': 'rocketchat', 'coll':"
                      " 'rocketchat_room'}, 'to': {'db': 'rocketchat',"
                      " 'coll': 'old_rooms'}}")), INVITE_SYNC_RESYNC,
           "rename of rocketchat_room: resync");
    is_int(apply(json("{'_id': {'_data': '04'}, 'operationType': 'rename',"
                      " 'ns': {'db': 'rocketchat', 'coll': 'tmp'}, 'to':"
                      " {'db': 'rocketchat', 'coll':"
                      " 'rocketchat_subscription'}}")), INVITE_SYNC_RESYNC,
           "rename onto rocketchat_subscription: resync");
    is_int(apply(json("{'_id': {'_data': '05'}, 'operationType':"
                      " 'dropDatabase', 'ns': {'db': 'rocketchat'}}")),
           INVITE_SYNC_RESYNC, "dropDatabase: resync");
    is_int(apply(json("{'_id': {'_data': '06'}, 'operationType': 'drop',"
                      " 'ns': {'db': 'rocketchat', 'coll':"
                      " 'rocketchat_message'}}")), INVITE_SYNC_OK,
           "drop of another collection: nothing to do");
}

/* ------------------------------------------------------- user deletion */

static void test_user_delete(void)
{
    exec("INSERT INTO join_outbox (user_id, rid, created_at,"
         " next_attempt_at) VALUES ('uA', 'rB', 1, 1)");
    is_int(apply(event("delete", "users", "uA", NULL, NULL)),
           INVITE_SYNC_OK, "user delete: applies");
    is_int(last.deleted, 1, "user delete: counted");
    is_str(USERS(), "uB|bob", "user delete: the user is gone");
    is_str(USER_ROLES(), "uB|user", "user delete: its roles too");
    is_str(TOKENS(), "", "user delete: its tokens too");
    is_str(SUBS(), "", "user delete: its subscriptions too");
    is_str(rows("SELECT user_id FROM join_outbox"), "",
           "user delete: its outbox rows too");
    unchanged(event("delete", "users", "uA", NULL, NULL),
              "user delete replayed");
}

/* -------------------------------------------------- state, lease, outbox */

static void test_state(void)
{
    const char *holder = NULL;
    apr_int64_t until = 0;
    apr_array_header_t *due;
    invite_sync_outbox_row_t *o;

    is_str(invite_sync_state_get(st, INVITE_SYNC_KEY_RESUME_TOKEN, pool),
           NULL, "state: none yet");
    is_int(invite_sync_store_begin(st), INVITE_SYNC_OK, "state: begin");
    is_int(invite_sync_state_set(st, INVITE_SYNC_KEY_RESUME_TOKEN,
                                 "{\"_data\": \"82AA\"}"), INVITE_SYNC_OK,
           "state: set in a transaction");
    is_int(invite_sync_store_rollback(st), INVITE_SYNC_OK,
           "state: rolled back");
    is_str(invite_sync_state_get(st, INVITE_SYNC_KEY_RESUME_TOKEN, pool),
           NULL, "state: the rollback took the token back");
    is_int(invite_sync_store_begin(st), INVITE_SYNC_OK, "state: begin again");
    invite_sync_state_set(st, INVITE_SYNC_KEY_RESUME_TOKEN,
                          "{\"_data\": \"82AB\"}");
    invite_sync_state_set_ms(st, INVITE_SYNC_KEY_LAST_OK_AT, 1700000000123LL);
    is_str(invite_sync_state_get(st, INVITE_SYNC_KEY_RESUME_TOKEN, pool),
           "{\"_data\": \"82AB\"}", "state: read in the transaction");
    is_int(invite_sync_store_commit(st), INVITE_SYNC_OK, "state: committed");
    is_str(rows("SELECT key, value FROM sync_state ORDER BY key"),
           "last_ok_at|1700000000123;resume_token|{\"_data\": \"82AB\"}",
           "state: both keys");
    is_int(invite_sync_state_set(st, INVITE_SYNC_KEY_SOURCE, "rs0/rocketchat"),
           INVITE_SYNC_OK, "state: set outside a transaction");
    is_str(invite_sync_state_get(st, INVITE_SYNC_KEY_SOURCE, pool),
           "rs0/rocketchat", "state: autocommitted");

    is_int(invite_sync_lease_take(st, "hostA:1", 60000, &holder, &until), 1,
           "lease: taken when free");
    is_int(invite_sync_lease_take(st, "hostA:1", 60000, &holder, &until), 1,
           "lease: renewed by its owner");
    is_int(invite_sync_lease_take(st, "hostB:2", 60000, &holder, &until), 0,
           "lease: refused to another");
    is_str(holder, "hostA:1", "lease: the holder is named");
    ok(until > 1700000000000LL, "lease: with its expiry");
    exec("UPDATE sync_lease SET expires_at = 5");
    is_int(invite_sync_lease_take(st, "hostB:2", 60000, &holder, &until), 1,
           "lease: an expired lease is taken over");
    invite_sync_lease_release(st, "hostA:1");
    is_str(rows("SELECT owner FROM sync_lease"), "hostB:2",
           "lease: only its owner releases it");
    invite_sync_lease_release(st, "hostB:2");
    is_str(rows("SELECT owner FROM sync_lease"), "", "lease: released");

    exec("INSERT INTO join_outbox (user_id, rid, created_at,"
         " next_attempt_at) VALUES ('uB', 'rA', 10, 10),"
         " ('uB', 'rB', 20, 9000000000000)");
    due = apr_array_make(pool, 4, sizeof(invite_sync_outbox_row_t));
    is_int(invite_sync_outbox_pending(st), 2, "outbox: two pending");
    is_int(invite_sync_outbox_due(st, 10, due, pool), INVITE_SYNC_OK,
           "outbox: due");
    is_int(due->nelts, 1, "outbox: one is due now");
    o = &APR_ARRAY_IDX(due, 0, invite_sync_outbox_row_t);
    is_str(o->user_id, "uB", "outbox: its user");
    is_str(o->rid, "rA", "outbox: its room");
    is_str(o->room_type, "p", "outbox: the room's type, for the route");
    is_int(o->attempts, 0, "outbox: no attempt yet");
    is_int(invite_sync_outbox_retry(st, "uB", "rA", 8000000000000LL,
                                    "HTTP 502\nBad Gateway"),
           INVITE_SYNC_OK, "outbox: retry");
    is_str(rows("SELECT attempts, next_attempt_at, last_error"
                " FROM join_outbox WHERE rid = 'rA'"),
           "1|8000000000000|HTTP 502", "outbox: attempts, backoff, error");
    due = apr_array_make(pool, 4, sizeof(invite_sync_outbox_row_t));
    invite_sync_outbox_due(st, 10, due, pool);
    is_int(due->nelts, 0, "outbox: nothing due during the backoff");
    is_int(invite_sync_outbox_done(st, "uB", "rA"), INVITE_SYNC_OK,
           "outbox: done");
    is_int(invite_sync_outbox_pending(st), 1, "outbox: the row is deleted");
    exec("DELETE FROM join_outbox");
}

/* ------------------------------------------------------------ full copy */

static void copy(const char *coll, const char *doc)
{
    bson_t *b = json(doc);

    if (invite_sync_copy_doc(st, coll, b) != INVITE_SYNC_OK) {
        printf("# copy_doc: %s\n", invite_sync_store_error(st));
    }
    bson_destroy(b);
}

static void test_copy(void)
{
    invite_sync_counts_t c;
    invite_sync_copy_progress_t pr;
    char id[32];
    int i;

    /* What SQL holds now: uB (bob, user) and rooms rA, rB.  A join made
     * here, still on its way to Rocket.Chat, must survive the copy. */
    exec("INSERT INTO rooms (id, t, name) VALUES ('rJ', 'c', 'joined')");
    exec("INSERT INTO subscriptions (user_id, rid) VALUES ('uB', 'rJ')");
    exec("INSERT INTO join_outbox (user_id, rid, created_at,"
         " next_attempt_at) VALUES ('uB', 'rJ', 1, 1)");
    exec("INSERT INTO subscriptions (user_id, rid) VALUES ('uB', 'rB')");
    exec("INSERT INTO invites (id, days, max_uses, rid, user_id, created_at,"
         " expires, uses, updated_at) VALUES ('inv1', 0, 0, 'rA', 'uB', 1,"
         " NULL, 0, 1)");

    is_int(invite_sync_copy_begin(st), INVITE_SYNC_OK, "copy: begins");
    copy("users", "{'_id': 'uC', 'username': 'carol', 'roles': ['admin'],"
         " 'active': true, 'services': {'resume': {'loginTokens': ["
         TOKEN("hC1", 1700000000000) ", " TOKEN("hC1", 1700000999999) ","
         " {'token': 'plain-secret', 'when': " DATE(1600000000000) "},"
         " {'hashedToken': 'hCP', 'type': 'personalAccessToken',"
         " 'createdAt': " DATE(1690000000000) "}]}}}");
    copy("users", "{'_id': 'uB', 'username': 'bobby', 'roles': ['user',"
         " 'bot'], 'services': {'resume': {'loginTokens': ["
         TOKEN("hB9", 1700000000000) "]}}}");
    copy("users", "{'_id': 'uD', 'username': 'dave', 'active': false,"
         " 'services': {'resume': {'loginTokens': ["
         TOKEN("hD1", 1700000000000) "]}}}");
    copy("users", "{'_id': 'uX', 'username': 'bad\\u0000'}");
    copy("rocketchat_room", "{'_id': 'rA', 't': 'c', 'name': 'general'}");
    copy("rocketchat_room", "{'_id': 'rJ', 't': 'c', 'name': 'joined'}");
    copy("rocketchat_room", "{'_id': 'rX'}");
    copy("rocketchat_subscription", SUB("sC", "rA", "uC",
         ", 'roles': ['owner', 'owner']"));
    copy("rocketchat_subscription", SUB("sB", "rA", "uB",
         ", 'status': 'BANNED'"));
    copy("rocketchat_subscription", SUB("sZ", "rA", "nobody", ""));
    copy("rocketchat_permissions", "{'_id': 'create-invite-links',"
         " 'roles': ['admin', 'owner']}");
    copy("rocketchat_permissions", "{'_id': 'view-room-administration',"
         " 'roles': ['admin']}");
    /* Enough tokens for multi-row staging inserts. */
    for (i = 0; i < 150; i++) {
        apr_snprintf(id, sizeof(id), "%03d", i);
        copy("users", apr_psprintf(pool, "{'_id': 'm%s', 'username':"
             " 'm%s', 'services': {'resume': {'loginTokens': ["
             TOKEN("t%s", 1700000000000) "]}}}", id, id, id));
    }
    /* The lease renewed and the heartbeat written while staging: they
     * commit at once, and the staging goes on. */
    {
        const char *holder = NULL;
        apr_int64_t until = 0;

        is_int(invite_sync_lease_take(st, "hostC:3", 60000, &holder, &until),
               1, "copy: the lease taken while staging");
        is_str(rows("SELECT owner FROM sync_lease"), "hostC:3",
               "copy: the lease committed at once");
        is_int(invite_sync_state_set_ms(st, INVITE_SYNC_KEY_LAST_OK_AT, 42),
               INVITE_SYNC_OK, "copy: a heartbeat while staging");
        is_str(rows("SELECT value FROM sync_state WHERE key = 'last_ok_at'"),
               "42", "copy: the heartbeat committed at once");
        invite_sync_lease_release(st, "hostC:3");
        copy("users", "{'_id': 'm150', 'username': 'm150'}");
    }
    pr = invite_sync_copy_progress(st, "users");
    is_int(pr.docs, 155, "copy progress: users received");
    is_int(pr.staged, 154, "copy progress: users staged");
    is_int(pr.skipped, 2, "copy progress: a bad user, an inactive token");
    pr = invite_sync_copy_progress(st, "rocketchat_room");
    is_int(pr.docs, 3, "copy progress: rooms");
    is_int(pr.skipped, 1, "copy progress: a room without t");

    /* Nothing reaches the real tables before the switch. */
    is_str(USERS(), "uB|bob", "copy: the tables untouched while staging");

    memset(&c, 0, sizeof(c));
    is_int(invite_sync_copy_switch(st, "{\"_data\": \"82C0\"}", &c),
           INVITE_SYNC_OK, "copy: switch");
    is_str(rows("SELECT id, username FROM users WHERE id NOT LIKE 'm%'"
                " ORDER BY id"), "uB|bobby;uC|carol;uD|dave",
           "copy: users (renamed, new, gone)");
    is_str(rows("SELECT count(*) FROM login_tokens WHERE user_id LIKE 'm%'"),
           "150", "copy: every staged token");
    is_str(rows("SELECT user_id, hashed_token, created_at FROM login_tokens"
                " WHERE user_id NOT LIKE 'm%' ORDER BY 1, 2"),
           "uB|hB9|1700000000000;uC|hC1|1700000000000;uC|hCP|-;"
           "uC|" PLAIN_SECRET_HASH "|1600000000000",
           "copy: tokens (first of a hash wins, legacy, PAT, inactive)");
    is_str(USER_ROLES(), "uB|bot;uB|user;uC|admin", "copy: user roles");
    is_str(ROOMS(), "rA|c|general|-|-;rJ|c|joined|-|-",
           "copy: rooms (rB gone, rA changed)");
    is_str(SUBS(), "uB|rA|BANNED;uB|rJ|-;uC|rA|-",
           "copy: subscriptions (the outbox join kept)");
    is_str(SUB_ROLES(), "uC|rA|owner", "copy: subscription roles");
    is_str(SUB_IDS(), "sB|uB|rA;sC|uC|rA", "copy: the id map");
    is_str(PERMS("create-invite-links"), "admin;owner",
           "copy: a copied permission is replaced");
    is_str(PERMS("api-bypass-rate-limit"), "admin;app;bot",
           "copy: the others keep their rows");
    is_str(rows("SELECT id FROM invites"), "inv1", "copy: invites untouched");
    is_str(invite_sync_state_get(st, INVITE_SYNC_KEY_RESUME_TOKEN, pool),
           "{\"_data\": \"82C0\"}", "copy: the resume token stored");
    ok(invite_sync_state_get(st, INVITE_SYNC_KEY_LAST_FULL_COPY, pool) != NULL,
       "copy: last_full_copy_at stored");
    is_int(c.skipped, 4, "copy: skipped (bad user, inactive token, bad room,"
           " unknown user)");
    ok(c.applied > 150 && c.deleted >= 3, "copy: counts of rows");

    /* The same copy again writes nothing. */
    {
        long before;

        invite_sync_copy_begin(st);
        copy("users", "{'_id': 'uC', 'username': 'carol', 'roles': ['admin'],"
             " 'active': true, 'services': {'resume': {'loginTokens': ["
             TOKEN("hC1", 1700000000000) ", {'token': 'plain-secret',"
             " 'when': " DATE(1600000000000) "}, {'hashedToken': 'hCP',"
             " 'type': 'personalAccessToken'}]}}}");
        copy("users", "{'_id': 'uB', 'username': 'bobby', 'roles': ['user',"
             " 'bot'], 'services': {'resume': {'loginTokens': ["
             TOKEN("hB9", 1700000000000) "]}}}");
        copy("users", "{'_id': 'uD', 'username': 'dave'}");
        copy("users", "{'_id': 'm150', 'username': 'm150'}");
        for (i = 0; i < 150; i++) {
            apr_snprintf(id, sizeof(id), "%03d", i);
            copy("users", apr_psprintf(pool, "{'_id': 'm%s', 'username':"
                 " 'm%s', 'services': {'resume': {'loginTokens': ["
                 TOKEN("t%s", 1700000000000) "]}}}", id, id, id));
        }
        copy("rocketchat_room", "{'_id': 'rA', 't': 'c', 'name': 'general'}");
        copy("rocketchat_room", "{'_id': 'rJ', 't': 'c', 'name': 'joined'}");
        copy("rocketchat_subscription", SUB("sC", "rA", "uC",
             ", 'roles': ['owner']"));
        copy("rocketchat_subscription", SUB("sB", "rA", "uB",
             ", 'status': 'BANNED'"));
        copy("rocketchat_permissions", "{'_id': 'create-invite-links',"
             " 'roles': ['admin', 'owner']}");
        memset(&c, 0, sizeof(c));
        before = invite_sync_store_changes(st);
        is_int(invite_sync_copy_switch(st, NULL, &c), INVITE_SYNC_OK,
               "copy again: switch");
        /* Only the state row of last_full_copy_at changes. */
        is_int(invite_sync_store_changes(st) - before, 1,
               "copy again: no data row written");
        is_int(c.applied + c.deleted, 0, "copy again: nothing applied");
        is_str(invite_sync_state_get(st, INVITE_SYNC_KEY_RESUME_TOKEN, pool),
               "{\"_data\": \"82C0\"}", "copy again: NULL keeps the token");
    }

    /* Once the outbox row is delivered, a copy without the membership
     * removes it. */
    exec("DELETE FROM join_outbox");
    invite_sync_copy_begin(st);
    copy("users", "{'_id': 'uB', 'username': 'bobby'}");
    copy("rocketchat_room", "{'_id': 'rJ', 't': 'c', 'name': 'joined'}");
    memset(&c, 0, sizeof(c));
    is_int(invite_sync_copy_switch(st, "{\"_data\": \"82C1\"}", &c),
           INVITE_SYNC_OK, "copy: a smaller copy");
    is_str(USERS(), "uB|bobby", "copy: users deleted");
    is_str(SUBS(), "", "copy: the delivered join is gone with the copy");
    is_str(TOKENS(), "", "copy: tokens deleted");
    is_str(SUB_IDS(), "", "copy: the id map emptied");
    is_str(rows("SELECT id FROM invites"), "inv1", "copy: invites stay");

    is_int(invite_sync_copy_doc(st, "users", NULL), INVITE_SYNC_DB_ERROR,
           "copy: a document outside a copy is refused");
    is_int(invite_sync_copy_begin(st), INVITE_SYNC_OK, "copy: begin");
    {
        bson_t *empty = json("{}");

        is_int(invite_sync_copy_doc(st, "rocketchat_message", empty),
               INVITE_SYNC_BAD_EVENT, "copy: an unknown collection is refused");
        bson_destroy(empty);
    }
    is_int(invite_sync_store_begin(st), INVITE_SYNC_DB_ERROR,
           "begin: refused while staging");
    /* A copy abandoned half-way leaves the tables alone. */
    is_int(invite_sync_copy_begin(st), INVITE_SYNC_OK, "copy: begin again");
    copy("users", "{'_id': 'uZ'}");
    is_str(USERS(), "uB|bobby", "copy: an unfinished copy changes nothing");
    memset(&c, 0, sizeof(c));
    invite_sync_copy_switch(st, NULL, &c);
}

/* ------------------------------------------------------------ invites */

#define INVITES() rows("SELECT id, days, max_uses, rid, user_id, created_at," \
                       " expires, uses, updated_at, slot FROM invites" \
                       " ORDER BY id")
/* An invite of rocketchat_invites: fields, without the braces. */
#define INVITE(id, more) \
    "{'_id': '" id "', 'rid': 'rA', 'userId': 'uB', 'days': 7," \
    " 'maxUses': 5, 'createdAt': " DATE(1700000000000) more "}"

/* --once --invites: rocketchat_invites mapped as the import's --invites
 * did (docs/import.md), added in the switch, never overwriting. */
static void test_copy_invites(void)
{
    static const char *const broken[] = {
        "{'_id': 'bRid', 'userId': 'uB', 'days': 7, 'maxUses': 5,"
        " 'createdAt': " DATE(1700000000000) "}",
        "{'_id': 'bEmptyRid', 'rid': '', 'userId': 'uB', 'days': 7,"
        " 'maxUses': 5, 'createdAt': " DATE(1700000000000) "}",
        "{'_id': 'bUser', 'rid': 'rA', 'userId': 42, 'days': 7,"
        " 'maxUses': 5, 'createdAt': " DATE(1700000000000) "}",
        "{'_id': 'bNoCreated', 'rid': 'rA', 'userId': 'uB', 'days': 7,"
        " 'maxUses': 5}",
        "{'_id': 'bNoDays', 'rid': 'rA', 'userId': 'uB', 'maxUses': 5,"
        " 'createdAt': " DATE(1700000000000) "}",
        "{'_id': 'bNullMax', 'rid': 'rA', 'userId': 'uB', 'days': 7,"
        " 'maxUses': null, 'createdAt': " DATE(1700000000000) "}",
        "{'_id': 'nul\\u0000id', 'rid': 'rA', 'userId': 'uB', 'days': 7,"
        " 'maxUses': 5, 'createdAt': " DATE(1700000000000) "}",
        "{'_id': {'$oid': '65a1b2c3d4e5f6a7b8c9d0e1'}, 'rid': 'rA',"
        " 'userId': 'uB', 'days': 7, 'maxUses': 5,"
        " 'createdAt': " DATE(1700000000000) "}",
        INVITE("bText", ", 'uses': 'seven'"),
        "{'_id': 'bDays', 'rid': 'rA', 'userId': 'uB', 'days': 'seven',"
        " 'maxUses': 5, 'createdAt': " DATE(1700000000000) "}",
        "{'_id': 'bFrac', 'rid': 'rA', 'userId': 'uB',"
        " 'days': {'$numberDouble': '7.5'}, 'maxUses': 5,"
        " 'createdAt': " DATE(1700000000000) "}",
        "{'_id': 'bBig', 'rid': 'rA', 'userId': 'uB',"
        " 'days': {'$numberLong': '3000000000'}, 'maxUses': 5,"
        " 'createdAt': " DATE(1700000000000) "}",
        "{'_id': 'bE15', 'rid': 'rA', 'userId': 'uB',"
        " 'days': {'$numberDouble': '1000000000000000.0'}, 'maxUses': 5,"
        " 'createdAt': " DATE(1700000000000) "}",
        "{'_id': 'b19', 'rid': 'rA', 'userId': 'uB', 'days': 7,"
        " 'maxUses': '1234567890123456789', 'createdAt': "
        DATE(1700000000000) "}",
        "{'_id': 'bBool', 'rid': 'rA', 'userId': 'uB', 'days': true,"
        " 'maxUses': 5, 'createdAt': " DATE(1700000000000) "}",
        "{'_id': 'bDec', 'rid': 'rA', 'userId': 'uB',"
        " 'days': {'$numberDecimal': '7'}, 'maxUses': 5,"
        " 'createdAt': " DATE(1700000000000) "}",
        "{'_id': 'bPlus', 'rid': 'rA', 'userId': 'uB', 'days': '+7',"
        " 'maxUses': 5, 'createdAt': " DATE(1700000000000) "}",
        INVITE("bExp", ", 'expires': 'soon'"),
        INVITE("bUpd", ", '_updatedAt': 1700000000000"),
        "{'_id': 'bCreated', 'rid': 'rA', 'userId': 'uB', 'days': 7,"
        " 'maxUses': 5, 'createdAt': '2024-01-01'}",
    };
    const int nbroken = (int)(sizeof(broken) / sizeof(*broken));
    invite_sync_counts_t c;
    invite_sync_copy_progress_t pr;
    const char *before;
    bson_t *b;
    int i;

    ok(invite_sync_projection(INVITE_SYNC_INVITES)
       && strstr(invite_sync_projection(INVITE_SYNC_INVITES), "maxUses"),
       "invites: a find projection");
    ok(!invite_sync_projection("rocketchat_message"),
       "invites: none for another collection");
    /* Off (the default): not part of a copy. */
    ok(!invite_sync_copy_invites_wanted(st), "invites: off by default");
    is_int(invite_sync_copy_begin(st), INVITE_SYNC_OK, "invites off: begin");
    b = json(INVITE("iOff", ""));
    is_int(invite_sync_copy_doc(st, INVITE_SYNC_INVITES, b),
           INVITE_SYNC_BAD_EVENT, "invites off: an invite is refused");
    bson_destroy(b);
    memset(&c, 0, sizeof(c));
    is_int(invite_sync_copy_switch(st, NULL, &c), INVITE_SYNC_OK,
           "invites off: switch");
    is_str(rows("SELECT id FROM invites"), "inv1",
           "invites off: the table untouched");

    /* inv1 is mod_invite's: the copy's inv1 must not change it. */
    exec("UPDATE invites SET slot = 1, uses = 3 WHERE id = 'inv1'");
    before = INVITES();
    invite_sync_copy_invites(st, 1);
    ok(invite_sync_copy_invites_wanted(st), "invites: on");
    is_int(invite_sync_copy_begin(st), INVITE_SYNC_OK, "invites: begin");
    copy("users", "{'_id': 'uB', 'username': 'bobby'}");
    copy(INVITE_SYNC_INVITES, INVITE("inv1", ", 'uses': 9, 'expires': "
         DATE(1700604800000)));
    /* int32s, expires and _updatedAt */
    copy(INVITE_SYNC_INVITES, INVITE("iAll", ", 'expires': "
         DATE(1700604800000) ", 'uses': 2, '_updatedAt': "
         DATE(1700000005000) ", 'url': 'https://chat.example.org/x'"));
    /* days 0, expires null, uses and _updatedAt absent */
    copy(INVITE_SYNC_INVITES, "{'_id': 'iNever', 'rid': 'rA',"
         " 'userId': 'uB', 'days': 0, 'maxUses': 0, 'createdAt': "
         DATE(1690000000000) ", 'expires': null}");
    /* the same creator and settings as iAll: both kept (slot NULL) */
    copy(INVITE_SYNC_INVITES, INVITE("iTwin", ", 'uses': {'$numberInt':"
         " '1'}"));
    /* int64, an integral double, digit strings */
    copy(INVITE_SYNC_INVITES, "{'_id': 'iNums', 'rid': 'rX', 'userId': 'uX',"
         " 'days': {'$numberLong': '30'}, 'maxUses': {'$numberDouble':"
         " '100.0'}, 'uses': '007', 'createdAt': " DATE(1690000000000)
         ", '_updatedAt': " DATE(1690000000001) "}");
    copy(INVITE_SYNC_INVITES, "{'_id': 'iStr', 'rid': 'rA', 'userId': 'uB',"
         " 'days': '15.00', 'maxUses': '-0', 'createdAt': "
         DATE(1690000000000) "}");
    for (i = 0; i < nbroken; i++) {
        copy(INVITE_SYNC_INVITES, broken[i]);
    }
    pr = invite_sync_copy_progress(st, INVITE_SYNC_INVITES);
    is_int(pr.docs, 6 + nbroken, "invites: documents received");
    is_int(pr.staged, 6, "invites: staged");
    is_int(pr.skipped, nbroken, "invites: the broken ones skipped");
    is_str(INVITES(), before, "invites: nothing written before the switch");
    memset(&c, 0, sizeof(c));
    is_int(invite_sync_copy_switch(st, NULL, &c), INVITE_SYNC_OK,
           "invites: switch");
    is_str(INVITES(),
           "iAll|7|5|rA|uB|1700000000000|1700604800000|2|1700000005000|-;"
           "iNever|0|0|rA|uB|1690000000000|-|0|1690000000000|-;"
           "iNums|30|100|rX|uX|1690000000000|-|7|1690000000001|-;"
           "iStr|15|0|rA|uB|1690000000000|-|0|1690000000000|-;"
           "iTwin|7|5|rA|uB|1700000000000|-|1|1700000000000|-;"
           "inv1|0|0|rA|uB|1|-|3|1|1",
           "invites: the import's rows; the one SQL held kept as it was");
    pr = invite_sync_copy_progress(st, INVITE_SYNC_INVITES);
    is_int(pr.written, 5, "invites: written (inv1 was there)");
    is_int(c.skipped, 0, "invites: not in the copy's skipped documents");

    /* Again: nothing SQL holds is overwritten, nothing is deleted. */
    exec("UPDATE invites SET uses = 4 WHERE id = 'iAll'");
    exec("DELETE FROM invites WHERE id = 'iTwin'");
    invite_sync_copy_begin(st);
    copy(INVITE_SYNC_INVITES, INVITE("iAll", ", 'uses': 2"));
    copy(INVITE_SYNC_INVITES, INVITE("iTwin", ""));
    /* Enough for multi-row staging inserts of all nine columns. */
    for (i = 0; i < 300; i++) {
        copy(INVITE_SYNC_INVITES, apr_psprintf(pool, "{'_id': 'm%03d',"
             " 'rid': 'rA', 'userId': 'uB', 'days': %d, 'maxUses': 0,"
             " 'uses': %d, 'createdAt': " DATE(1700000000000) ","
             " 'expires': " DATE(1700604800000) "}", i, i % 30, i));
    }
    memset(&c, 0, sizeof(c));
    is_int(invite_sync_copy_switch(st, NULL, &c), INVITE_SYNC_OK,
           "invites again: switch");
    is_str(rows("SELECT id, uses FROM invites WHERE id NOT LIKE 'm%'"
                " ORDER BY id"),
           "iAll|4;iNever|0;iNums|7;iStr|0;iTwin|0;inv1|3",
           "invites again: the used one kept, the missing one added,"
           " none deleted");
    is_str(rows("SELECT count(*), sum(uses), sum(days), min(expires)"
                " FROM invites WHERE id LIKE 'm%'"),
           "300|44850|4350|1700604800000",
           "invites again: 300 more, every column staged");
    is_int(invite_sync_copy_progress(st, INVITE_SYNC_INVITES).written, 301,
           "invites again: 301 written");

    /* Off again: a copy without invites removes none. */
    invite_sync_copy_invites(st, 0);
    before = INVITES();
    invite_sync_copy_begin(st);
    copy("users", "{'_id': 'uB', 'username': 'bobby'}");
    memset(&c, 0, sizeof(c));
    is_int(invite_sync_copy_switch(st, NULL, &c), INVITE_SYNC_OK,
           "invites off again: switch");
    is_str(INVITES(), before, "invites off again: the table untouched");
}

/* ----------------------------------------------------- SQLite's lock */

/* Another writer (the module) holds SQLite's write lock for 600 ms: the
 * store's BEGIN waits for it (busy_timeout) instead of failing. */
static void test_lock_wait(void)
{
    int fd[2];
    pid_t child;
    char c;
    apr_time_t t0;

    if (strcmp(engine, "sqlite3") || pipe(fd) != 0) {
        return;
    }
    child = fork();
    if (child == 0) {
        sqlite3 *db;

        close(fd[0]);
        if (sqlite3_open(sqlite_path, &db) != SQLITE_OK
            || sqlite3_exec(db, "BEGIN IMMEDIATE; INSERT INTO users (id)"
                            " VALUES ('held')", NULL, NULL, NULL)
               != SQLITE_OK) {
            _exit(1);
        }
        if (write(fd[1], "x", 1) != 1) {
            _exit(1);
        }
        usleep(600000);
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        sqlite3_close(db);
        _exit(0);
    }
    close(fd[1]);
    ok(read(fd[0], &c, 1) == 1, "lock: another writer holds the lock");
    close(fd[0]);
    t0 = apr_time_now();
    is_int(apply(event("insert", "users", "uL", "{'_id': 'uL'}", NULL)),
           INVITE_SYNC_OK, "lock: the batch waits and applies");
    ok(apr_time_now() - t0 >= apr_time_from_msec(300),
       "lock: it waited for the other writer");
    waitpid(child, NULL, 0);
    is_str(rows("SELECT id FROM users WHERE id IN ('held', 'uL')"
                " ORDER BY id"), "held;uL", "lock: both writes are there");
    exec("DELETE FROM users WHERE id IN ('held', 'uL')");
}

/* ------------------------------------------------------------ run both */

static int load_schema(const char *params)
{
    apr_file_t *f;
    apr_finfo_t fi;
    char *sql;
    const char *file = !strcmp(engine, "sqlite3") ? "conf/schema-sqlite3.sql"
                                                  : "conf/schema-pgsql.sql";
    apr_size_t n;
    int rv = 0;

    if (apr_file_open(&f, file, APR_FOPEN_READ, 0, pool) != APR_SUCCESS
        || apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS) {
        printf("# cannot read %s (run from the source tree)\n", file);
        return -1;
    }
    n = (apr_size_t)fi.size;
    sql = apr_pcalloc(pool, n + 1);
    apr_file_read_full(f, sql, n, NULL);
    apr_file_close(f);
    if (!strcmp(engine, "sqlite3")) {
        sqlite3 *db;
        char *err = NULL;

        if (sqlite3_open(params, &db) != SQLITE_OK
            || sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
            printf("# schema: %s\n", err ? err : "open failed");
            rv = -1;
        }
        sqlite3_free(err);
        sqlite3_close(db);
        return rv;
    }
    n = 0;
    rv = apr_dbd_query(driver, reader, (int *)&n, sql);
    if (rv) {
        printf("# schema: %s\n", apr_dbd_error(driver, reader, rv));
    }
    return rv;
}

static void run(const char *eng, const char *params)
{
    const char *err = NULL;
    int rv;

    engine = eng;
    printf("# engine %s\n", eng);
    if (apr_dbd_get_driver(pool, eng, &driver) != APR_SUCCESS
        || apr_dbd_open_ex(driver, pool, params, &reader, &err)
           != APR_SUCCESS) {
        ok(0, apr_psprintf(pool, "%s: open the reader: %s", eng,
                           err ? err : "?"));
        return;
    }
    if (load_schema(params)) {
        ok(0, "schema loaded");
        return;
    }
    if (!strcmp(eng, "sqlite3")) {
        exec("PRAGMA foreign_keys = ON");
    }
    rv = invite_sync_store_open(&st, pool, eng, params, &err);
    is_int(rv, APR_SUCCESS, apr_psprintf(pool, "%s: store opens", eng));
    if (rv != APR_SUCCESS) {
        printf("# %s\n", err);
        return;
    }
    is_str(invite_sync_store_driver(st), eng, "store: its driver");
    {
        bson_t *ev = event("insert", "users", "u0", "{'_id': 'u0'}", NULL);

        is_int(invite_sync_apply_event(st, ev, &last), INVITE_SYNC_DB_ERROR,
               "apply: refused outside a transaction");
        bson_destroy(ev);
    }
    test_users();
    test_rooms();
    test_subscriptions();
    test_permissions();
    test_malformed();
    test_resync();
    test_user_delete();
    test_state();
    test_lock_wait();
    test_copy();
    test_copy_invites();
    invite_sync_store_close(st);
    apr_dbd_close(driver, reader);
}

/* Every statement of both engines is there, labelled invite_sync_*; only
 * the session settings and the staging's ANALYZE may be missing. */
static void test_statements(void)
{
    static const invite_engine_e engines[] = {
        INVITE_ENGINE_SQLITE3, INVITE_ENGINE_PGSQL
    };
    int e, i, labelled = 0, present = 0, optional = 0;

    for (e = 0; e < 2; e++) {
        const invite_stmt_t *s = invite_sync_sql(engines[e]);

        for (i = 0; i < INVITE_SYNC_SQL_COUNT; i++) {
            labelled += s[i].label && !strncmp(s[i].label, "invite_sync_",
                                               12);
            present += s[i].sql != NULL;
            optional += !s[i].sql && (i == INVITE_SYNC_SQL_SESSION_FK
                                      || i == INVITE_SYNC_SQL_SESSION_BUSY
                                      || i == INVITE_SYNC_SQL_STAGE_ANALYZE);
        }
    }
    is_int(labelled, 2 * INVITE_SYNC_SQL_COUNT,
           "statements: every one labelled invite_sync_*");
    is_int(present + optional, 2 * INVITE_SYNC_SQL_COUNT,
           "statements: only session settings may be missing");
}

/* Runs one statement on a connection of its own to params: 1 if it ran. */
static int pg_admin(const char *params, const char *sql)
{
    const apr_dbd_driver_t *d;
    apr_dbd_t *h;
    const char *err = NULL;
    int n = 0, rv;

    if (apr_dbd_get_driver(pool, "pgsql", &d) != APR_SUCCESS
        || apr_dbd_open_ex(d, pool, params, &h, &err) != APR_SUCCESS) {
        ok(0, apr_psprintf(pool, "pgsql: connect: %s", err ? err : "?"));
        return 0;
    }
    rv = apr_dbd_query(d, h, &n, sql);
    if (rv) {
        ok(0, apr_psprintf(pool, "pgsql: %s: %s", sql,
                           apr_dbd_error(d, h, rv)));
    }
    apr_dbd_close(d, h);
    return rv == 0;
}

static void test_open_errors(const char *dir)
{
    const char *err = NULL;
    const char *path = apr_pstrcat(pool, dir, "/old.db", NULL);
    sqlite3 *db;

    ok(invite_sync_store_open(&st, pool, "mysql", "x", &err) != APR_SUCCESS,
       "open: an unsupported driver");
    ok(err && strstr(err, "unsupported"), "open: says why");
    sqlite3_open(path, &db);
    sqlite3_exec(db, "CREATE TABLE schema_version (version INTEGER,"
                 " applied_at INTEGER); INSERT INTO schema_version"
                 " VALUES (4, 0)", NULL, NULL, NULL);
    sqlite3_close(db);
    err = NULL;
    ok(invite_sync_store_open(&st, pool, "sqlite3", path, &err)
       != APR_SUCCESS, "open: an older schema is refused");
    ok(err && strstr(err, "schema version is 4"), "open: names the version");
    if (err) {
        printf("# %s\n", err);
    }
    unlink(path);
}

int main(void)
{
    char dir[] = "/tmp/test_sync_store.XXXXXX";
    const char *pg = getenv("INVITE_TEST_PG_PARAMS");

    apr_initialize();
    apr_pool_create(&pool, NULL);
    apr_dbd_init(pool);
    if (!mkdtemp(dir)) {
        return 1;
    }
    test_statements();
    test_open_errors(dir);
    sqlite_path = apr_pstrcat(pool, dir, "/t.db", NULL);
    run("sqlite3", sqlite_path);
    if (pg && *pg) {
        /* A database of its own; libpq takes the last dbname given. */
        const char *name = apr_psprintf(pool, "test_sync_store_%ld",
                                        (long)getpid());

        if (pg_admin(pg, apr_pstrcat(pool, "CREATE DATABASE ", name,
                                     NULL))) {
            run("pgsql", apr_pstrcat(pool, pg, " dbname=", name, NULL));
            pg_admin(pg, apr_pstrcat(pool, "DROP DATABASE ", name, NULL));
        }
    }
    else {
        printf("# SKIP pgsql: INVITE_TEST_PG_PARAMS is not set\n");
    }
    unlink(sqlite_path);
    unlink(apr_pstrcat(pool, sqlite_path, "-wal", NULL));
    unlink(apr_pstrcat(pool, sqlite_path, "-shm", NULL));
    rmdir(dir);
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
