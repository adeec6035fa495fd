/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite-sync - keeps mod_invite's SQL store in step with Rocket.Chat's
 * MongoDB, and hands joins made here back to Rocket.Chat
 * (docs/invite-sync.8): options, the lease, the follow loop, --status.
 *
 *   1. take the lease (one writer at a time);
 *   2. with no resume point in SQL (or one of another source, or one
 *      that has left the oplog): the full copy, which stores T0;
 *   3. follow the change stream from the stored token, applying its
 *      events in batches, each in one transaction with the token after
 *      it; write last_ok_at (the heartbeat) at least every --heartbeat s;
 *   4. meanwhile deliver join_outbox rows to Rocket.Chat (a thread).
 *
 * Exit status: 0 done (or stopped by SIGTERM / SIGINT), 1 failure, 2
 * usage error, 3 the lease is held by another and --no-wait was given.
 * The MongoDB URL's password, the bot's token and DBDParams passwords are
 * never printed.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_dbd.h>
#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include <curl/curl.h>

#include "invite_apconf.h"
#include "invite_dbname.h"
#include "invite_sql.h"
#include "invite_sync.h"
#include "invite_sync_mongo.h"
#include "invite_sync_store.h"
#include "invite_version.h"

/* The follow loop's outcomes, beyond INVITE_SYNC_M_*. */
#define SYNC_RESYNC 1             /* an event ended the stream: full copy */
#define SYNC_LEASE_LOST 2         /* another took the lease */

typedef struct {
    apr_pool_t *pool;
    invite_sync_conf_t *c;
    invite_sync_store_t *st;
    invite_sync_mongo_t m;
    const char *owner;            /* host:pid */
    apr_int64_t renewed_at;       /* the lease, last taken or renewed */
    apr_int64_t beat_at;          /* last_ok_at, last written */
    volatile int have_lease;      /* (read by the outbox thread) */
    int sql_down;                 /* said so already */
    bson_t *last_token;           /* the token stored last */
} sync_t;

/* ------------------------------------------------------------ options */

static void usage(FILE *out)
{
    fprintf(out,
        "Usage: invite-sync [-f HTTPD_CONF | --driver NAME --params DBDPARAMS]\n"
        "                   [--config FILE] [--once [--invites]] [--status]\n"
        "                   [--no-wait] [--heartbeat SECS] [--lease SECS]\n"
        "                   [--backoff-max SECS] [--batch N] [-v]\n"
        "       invite-sync --version | --help\n"
        "\n"
        "Keeps mod_invite's SQL store in step with Rocket.Chat's MongoDB (a\n"
        "change stream), and hands joins made here back to Rocket.Chat.\n"
        "  -f FILE          read DBDriver and DBDParams from an Apache\n"
        "                   configuration file (--driver, --params win)\n"
        "  --driver NAME    apr_dbd driver: sqlite3 or pgsql\n"
        "  --params PARAMS  its parameters, as DBDParams\n"
        "  --config FILE    settings (mongo_url, rocketchat_url, bot_user_id,\n"
        "                   bot_token, outbox); default %s\n"
        "                   if it exists; must not be readable by group or\n"
        "                   others.  INVITE_SYNC_MONGO_URL,\n"
        "                   INVITE_SYNC_ROCKETCHAT_URL, INVITE_SYNC_BOT_USER_ID\n"
        "                   and INVITE_SYNC_BOT_TOKEN override it\n"
        "  --once           full copy, store the resume point, exit\n"
        "  --invites        with --once: copy Rocket.Chat's invite links too,\n"
        "                   adding those SQL lacks (run once when mod_invite\n"
        "                   takes the invite API over)\n"
        "  --status         print the sync state and exit (1: never synced)\n"
        "  --no-wait        exit 3 when another invite-sync holds the lease\n"
        "  --heartbeat SECS write last_ok_at at least this often (10)\n"
        "  --lease SECS     the lease's length (30), renewed with the heartbeat\n"
        "  --backoff-max SECS  longest wait between reconnections (60)\n"
        "  --batch N        events per transaction at most (500)\n"
        "  -v               say more\n"
        "\nExit status: 0 done or stopped, 1 failure, 2 usage error, 3 the\n"
        "lease is held (--no-wait).\n", INVITE_SYNC_DEFAULT_CONFIG);
}

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    invite_sync_vlog("", fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try 'invite-sync --help'.\n");
    return INVITE_SYNC_EXIT_USAGE;
}

/* A whole number in [min, max] from s, or -1. */
static long number(const char *s, long min, long max)
{
    char *end;
    long v;

    if (!s || !apr_isdigit(*s)) {
        return -1;
    }
    v = strtol(s, &end, 10);
    return *end || v < min || v > max ? -1 : v;
}

/* Reads the command line into c: -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, invite_sync_conf_t *c)
{
    enum { O_DRIVER = 256, O_PARAMS, O_CONFIG, O_ONCE, O_STATUS, O_NOWAIT,
           O_HEARTBEAT, O_LEASE, O_BACKOFF, O_BATCH, O_VERSION, O_INVITES };
    static const struct option opts[] = {
        { "driver", required_argument, NULL, O_DRIVER },
        { "params", required_argument, NULL, O_PARAMS },
        { "config", required_argument, NULL, O_CONFIG },
        { "once", no_argument, NULL, O_ONCE },
        { "invites", no_argument, NULL, O_INVITES },
        { "status", no_argument, NULL, O_STATUS },
        { "no-wait", no_argument, NULL, O_NOWAIT },
        { "heartbeat", required_argument, NULL, O_HEARTBEAT },
        { "lease", required_argument, NULL, O_LEASE },
        { "backoff-max", required_argument, NULL, O_BACKOFF },
        { "batch", required_argument, NULL, O_BATCH },
        { "verbose", no_argument, NULL, 'v' },
        { "version", no_argument, NULL, O_VERSION },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int o;

    opterr = 0;
    while ((o = getopt_long(argc, argv, ":f:vh", opts, NULL)) != -1) {
        switch (o) {
        case 'f':
            c->conf_file = optarg;
            break;
        case O_DRIVER:
            c->driver = optarg;
            break;
        case O_PARAMS:
            c->params = optarg;
            break;
        case O_CONFIG:
            c->settings_file = optarg;
            break;
        case O_ONCE:
            c->once = 1;
            break;
        case O_INVITES:
            c->invites = 1;
            break;
        case O_STATUS:
            c->status = 1;
            break;
        case O_NOWAIT:
            c->no_wait = 1;
            break;
        case O_HEARTBEAT:
            if ((c->heartbeat_s = number(optarg, 1, 3600)) < 0) {
                return usage_error("--heartbeat takes 1 to 3600 seconds");
            }
            break;
        case O_LEASE:
            if ((c->lease_s = number(optarg, 2, 86400)) < 0) {
                return usage_error("--lease takes 2 to 86400 seconds");
            }
            break;
        case O_BACKOFF:
            if ((c->backoff_max_s = number(optarg, 1, 3600)) < 0) {
                return usage_error("--backoff-max takes 1 to 3600 seconds");
            }
            break;
        case O_BATCH:
            if ((c->batch = number(optarg, 1, 100000)) < 0) {
                return usage_error("--batch takes 1 to 100000 events");
            }
            break;
        case 'v':
            c->verbose = 1;
            break;
        case O_VERSION:
            printf("invite-sync %s\nschema version %d\nlibmongoc %s\n",
                   INVITE_VERSION, INVITE_SCHEMA_VERSION,
                   mongoc_get_version());
            return INVITE_SYNC_EXIT_OK;
        case 'h':
            usage(stdout);
            return INVITE_SYNC_EXIT_OK;
        case ':':
            return usage_error("%s needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) {
        return usage_error("unexpected argument '%s'", argv[optind]);
    }
    if (c->once && c->status) {
        return usage_error("--once and --status do not go together");
    }
    if (c->invites && !c->once) {
        return usage_error("--invites goes with --once only");
    }
    if (c->lease_s <= c->heartbeat_s) {
        return usage_error("--lease (%ld s) must be longer than --heartbeat"
                           " (%ld s): the heartbeat renews it", c->lease_s,
                           c->heartbeat_s);
    }
    return -1;
}

/* The wait after one of ms: twice as long, at most --backoff-max. */
static long backoff_next(const sync_t *s, long ms)
{
    return ms * 2 > s->c->backoff_max_s * 1000 ? s->c->backoff_max_s * 1000
                                               : ms * 2;
}

/* After a database error on PostgreSQL, a new connection in place of
 * the old one when it can be made: a restarted server leaves the old one
 * dead for good.  (SQLite's errors are locks and files: the same
 * connection does.) */
static void store_reconnect(sync_t *s)
{
    invite_sync_store_t *fresh = NULL;
    const char *err = NULL;

    if (strcmp(s->c->driver, "pgsql")
        || invite_sync_store_open(&fresh, s->pool, s->c->driver,
                                  s->c->params, &err) != APR_SUCCESS) {
        return;
    }
    invite_sync_store_rollback(s->st);
    invite_sync_store_close(s->st);
    s->st = fresh;
}

/* -------------------------------------------------------------- lease */

/* Renews the lease when a heartbeat is due: 1 to go on, 0 when it is
 * lost or we are stopping (for the full copy). */
static int lease_renew(void *ctx)
{
    sync_t *s = ctx;
    const char *holder = NULL;
    apr_int64_t until = 0, now = invite_sync_now_ms();
    int rc;

    if (invite_sync_stop) {
        return 0;
    }
    if (now - s->renewed_at < s->c->heartbeat_s * 1000) {
        return 1;
    }
    rc = invite_sync_lease_take(s->st, s->owner, s->c->lease_s * 1000,
                                &holder, &until);
    if (rc == 1) {
        s->renewed_at = now;
        return 1;
    }
    if (rc == 0) {
        invite_sync_log(SYNCLOGNO(01311), "lost the lease to %s (until %s):"
                        " stopping writes", holder ? holder : "?",
                        invite_sync_iso(s->pool, until));
        s->have_lease = 0;
        return 0;
    }
    /* SQL down: writes fail too; go on while the lease lasts. */
    if (now < s->renewed_at + s->c->lease_s * 1000) {
        return 1;
    }
    invite_sync_log(SYNCLOGNO(01316), "the lease ran out while the database"
                    " did not answer: stopping writes");
    s->have_lease = 0;
    return 0;
}

/* Takes the lease, waiting while another holds it: INVITE_SYNC_EXIT_OK,
 * INVITE_SYNC_EXIT_LEASE (--no-wait), or -1 when stopped. */
static int lease_wait(sync_t *s)
{
    const char *said = NULL, *holder;
    apr_int64_t until;
    int rc, db_said = 0;

    while (!invite_sync_stop) {
        holder = NULL;
        until = 0;
        rc = invite_sync_lease_take(s->st, s->owner, s->c->lease_s * 1000,
                                    &holder, &until);
        if (rc == 1) {
            s->renewed_at = invite_sync_now_ms();
            s->have_lease = 1;
            if (said) {
                invite_sync_log(SYNCLOGNO(01312), "took the lease");
            }
            return INVITE_SYNC_EXIT_OK;
        }
        if (rc == 0) {
            holder = holder ? holder : "?";
            if (s->c->no_wait) {
                invite_sync_log(SYNCLOGNO(01313), "the lease is held by %s"
                                " until %s: not waiting (--no-wait)",
                                holder, invite_sync_iso(s->pool, until));
                return INVITE_SYNC_EXIT_LEASE;
            }
            if (!said || strcmp(said, holder)) {
                /* The line the contract fixes: no tag before it. */
                invite_sync_log("", "waiting: the lease is held by %s until"
                                " %s", holder,
                                invite_sync_iso(s->pool, until));
                said = apr_pstrdup(s->pool, holder);
            }
        }
        else {
            if (!db_said++) {
                invite_sync_log(SYNCLOGNO(01314), "cannot take the lease:"
                                " database error: %s; trying again",
                                invite_sync_store_error(s->st));
            }
            store_reconnect(s);
        }
        invite_sync_sleep(1000);
    }
    return -1;
}

/* ------------------------------------------------------------- events */

/* The event's clusterTime in epoch ms, or now. */
static apr_int64_t event_time(const bson_t *ev)
{
    bson_iter_t it;
    uint32_t t = 0, i = 0;

    if (bson_iter_init_find(&it, ev, "clusterTime")
        && BSON_ITER_HOLDS_TIMESTAMP(&it)) {
        bson_iter_timestamp(&it, &t, &i);
        return (apr_int64_t)t * 1000;
    }
    return invite_sync_now_ms();
}

/* What an event is, for messages: "update on users" (no id, no field). */
static const char *event_label(apr_pool_t *p, const bson_t *ev)
{
    const char *op = "?", *coll;
    bson_iter_t it;

    if (bson_iter_init_find(&it, ev, "operationType")
        && BSON_ITER_HOLDS_UTF8(&it)) {
        op = bson_iter_utf8(&it, NULL);
    }
    if (bson_iter_init(&it, ev) && bson_iter_find_descendant(&it, "ns.coll",
                                                             &it)
        && BSON_ITER_HOLDS_UTF8(&it)) {
        coll = bson_iter_utf8(&it, NULL);
    }
    else if (bson_iter_init(&it, ev)
             && bson_iter_find_descendant(&it, "ns.db", &it)
             && BSON_ITER_HOLDS_UTF8(&it)) {
        return apr_psprintf(p, "%s of database %s", op,
                            bson_iter_utf8(&it, NULL));
    }
    else {
        coll = "the change stream";     /* invalidate: no ns */
    }
    return apr_psprintf(p, "%s on %s", op, coll);
}

/* Waits before trying SQL again: 1 when stopping. */
static int sql_wait(sync_t *s, long *backoff_ms, const char *what)
{
    if (!s->sql_down++) {
        invite_sync_log(SYNCLOGNO(01340), "%s: database error: %s; rolled"
                        " back, the resume point stays, trying again",
                        what, invite_sync_store_error(s->st));
    }
    if (invite_sync_sleep(*backoff_ms)) {
        return 1;
    }
    *backoff_ms = backoff_next(s, *backoff_ms);
    store_reconnect(s);
    return 0;
}

/* Applies events[0..n) and stores token (NULL: leaves it) and the
 * heartbeat, in one transaction, retried until it commits:
 * INVITE_SYNC_M_OK, SYNC_RESYNC, SYNC_LEASE_LOST or INVITE_SYNC_M_STOP. */
static int apply_batch(sync_t *s, bson_t **events, int n,
                       const bson_t *token, apr_pool_t *p)
{
    long backoff = 1000;
    const char *token_json = NULL;

    if (token) {
        char *j = bson_as_canonical_extended_json(token, NULL);

        token_json = apr_pstrdup(p, j);
        bson_free(j);
    }
    for (;;) {
        invite_sync_counts_t c = { 0 };
        apr_int64_t now, until = 0;
        const char *holder = NULL;
        int i, lease, rc = INVITE_SYNC_OK;

        if (!lease_renew(s)) {
            return s->have_lease ? INVITE_SYNC_M_STOP : SYNC_LEASE_LOST;
        }
        if (invite_sync_store_begin(s->st) != INVITE_SYNC_OK) {
            invite_sync_store_rollback(s->st);
            if (sql_wait(s, &backoff, "begin")) {
                return INVITE_SYNC_M_STOP;
            }
            continue;
        }
        /* The lease renewed inside the batch's transaction: the batch
         * commits only while it is ours, even when BEGIN waited past its
         * end (a lock held longer than the lease), so a second daemon that
         * took it meanwhile never sees our older events land after its
         * own. */
        now = invite_sync_now_ms();
        lease = invite_sync_lease_take(s->st, s->owner, s->c->lease_s * 1000,
                                       &holder, &until);
        if (lease == 0) {
            invite_sync_store_rollback(s->st);
            invite_sync_log(SYNCLOGNO(01317), "lost the lease to %s (until"
                            " %s) while waiting for the database: this batch"
                            " is not applied; stopping writes",
                            holder ? holder : "?",
                            invite_sync_iso(s->pool, until));
            s->have_lease = 0;
            return SYNC_LEASE_LOST;
        }
        if (lease < 0) {
            invite_sync_store_rollback(s->st);
            if (sql_wait(s, &backoff, "renewing the lease")) {
                return INVITE_SYNC_M_STOP;
            }
            continue;
        }
        s->renewed_at = now;
        for (i = 0; i < n && rc >= INVITE_SYNC_OK; i++) {
            rc = invite_sync_apply_event(s->st, events[i], &c);
            if (rc == INVITE_SYNC_BAD_EVENT) {
                invite_sync_log(SYNCLOGNO(01341), "skipped an event that"
                                " is not a change event (%s)",
                                event_label(p, events[i]));
                rc = INVITE_SYNC_OK;
            }
            else if (rc == INVITE_SYNC_RESYNC) {
                invite_sync_store_rollback(s->st);
                invite_sync_log(SYNCLOGNO(01342), "%s: the stream ends here:"
                                " full resync", event_label(p, events[i]));
                return SYNC_RESYNC;
            }
        }
        now = invite_sync_now_ms();
        if (rc == INVITE_SYNC_OK && token_json) {
            rc = invite_sync_state_set(s->st, INVITE_SYNC_KEY_RESUME_TOKEN,
                                       token_json);
        }
        if (rc == INVITE_SYNC_OK && n) {
            rc = invite_sync_state_set_ms(s->st, INVITE_SYNC_KEY_LAST_EVENT_AT,
                                          event_time(events[n - 1]));
        }
        if (rc == INVITE_SYNC_OK) {
            rc = invite_sync_state_set_ms(s->st, INVITE_SYNC_KEY_LAST_OK_AT,
                                          now);
        }
        if (rc == INVITE_SYNC_OK) {
            rc = invite_sync_store_commit(s->st);
        }
        if (rc != INVITE_SYNC_OK) {
            invite_sync_store_rollback(s->st);
            if (sql_wait(s, &backoff, n ? "applying events" : "heartbeat")) {
                return INVITE_SYNC_M_STOP;
            }
            continue;
        }
        if (s->sql_down) {
            invite_sync_log(SYNCLOGNO(01343), "the database answers again");
            s->sql_down = 0;
        }
        s->beat_at = now;
        if (n && invite_sync_verbose) {
            invite_sync_log(SYNCLOGNO(01344), "%d event%s: %ld applied, %ld"
                            " unchanged, %ld deleted, %ld skipped, %ld"
                            " ignored", n, n == 1 ? "" : "s", c.applied,
                            c.unchanged, c.deleted, c.skipped, c.ignored);
        }
        return INVITE_SYNC_M_OK;
    }
}

/* Follows stream: batches of at most --batch events or 200 ms, each
 * applied with the token after it; a heartbeat when idle.  Returns why
 * it ended (INVITE_SYNC_M_*, SYNC_RESYNC, SYNC_LEASE_LOST); *why for
 * INVITE_SYNC_M_RETRY and _LOST. */
static int follow(sync_t *s, mongoc_change_stream_t *stream,
                  const char **why)
{
    bson_t **events = calloc(s->c->batch, sizeof(*events));
    apr_pool_t *p;
    int rc = INVITE_SYNC_M_OK;

    if (!events) {
        *why = "out of memory";
        return INVITE_SYNC_M_RETRY;
    }
    apr_pool_create(&p, s->pool);
    while (rc == INVITE_SYNC_M_OK && !invite_sync_stop) {
        const bson_t *doc, *tok;
        bson_t *token = NULL;
        apr_int64_t first = 0;
        int n = 0, err, i;

        while (n < s->c->batch && mongoc_change_stream_next(stream, &doc)) {
            events[n++] = bson_copy(doc);
            if (n == 1) {
                first = invite_sync_now_ms();
            }
            else if (invite_sync_now_ms() - first >= INVITE_SYNC_BATCH_WINDOW_MS) {
                break;
            }
        }
        err = invite_sync_mongo_stream_error(stream, p, why);
        if ((tok = mongoc_change_stream_get_resume_token(stream))) {
            token = bson_copy(tok);
        }
        /* An idle getMore moves the token too: stored with the
         * heartbeat. */
        if (n || invite_sync_now_ms() - s->beat_at
                 >= s->c->heartbeat_s * 1000) {
            int changed = token && (!s->last_token
                                    || !bson_equal(token, s->last_token));

            rc = apply_batch(s, events, n, changed ? token : NULL, p);
            if (rc == INVITE_SYNC_M_OK && changed) {
                if (s->last_token) {
                    bson_destroy(s->last_token);
                }
                s->last_token = token;
                token = NULL;
            }
        }
        for (i = 0; i < n; i++) {
            bson_destroy(events[i]);
        }
        if (token) {
            bson_destroy(token);
        }
        if (rc == INVITE_SYNC_M_OK && err != INVITE_SYNC_M_OK) {
            *why = apr_pstrdup(s->pool, *why);
            rc = err;
        }
        apr_pool_clear(p);
    }
    apr_pool_destroy(p);
    free(events);
    return rc == INVITE_SYNC_M_OK ? INVITE_SYNC_M_STOP : rc;
}

/* --------------------------------------------------------------- run */

/* Waits before reconnecting, renewing the lease meanwhile: 0 to go on, 1
 * when stopping, SYNC_LEASE_LOST. */
static int reconnect_wait(sync_t *s, long *backoff_ms, const char *why)
{
    long left;

    invite_sync_log(SYNCLOGNO(01331), "%s; trying again in %ld s", why,
                    *backoff_ms / 1000);
    invite_sync_mongo_disconnect(&s->m);
    for (left = *backoff_ms; left > 0; left -= 1000) {
        if (invite_sync_sleep(left < 1000 ? left : 1000)) {
            return 1;
        }
        if (!lease_renew(s)) {
            return invite_sync_stop ? 1 : SYNC_LEASE_LOST;
        }
    }
    *backoff_ms = backoff_next(s, *backoff_ms);
    return 0;
}

/* The stored resume point, if it can be used: NULL (after saying why)
 * means a full copy. */
static bson_t *stored_token(sync_t *s, apr_pool_t *p)
{
    const char *json = invite_sync_state_get(s->st,
                                             INVITE_SYNC_KEY_RESUME_TOKEN, p);
    const char *source = invite_sync_state_get(s->st,
                                               INVITE_SYNC_KEY_SOURCE, p);
    bson_error_t err;
    bson_t *token;

    if (!json || !*json) {
        invite_sync_log(SYNCLOGNO(01323), "no resume point in the database:"
                        " full copy");
        return NULL;
    }
    if (source && strcmp(source, s->m.source)) {
        invite_sync_log(SYNCLOGNO(01324), "the resume point in the database"
                        " is of %s, not %s: full copy", source, s->m.source);
        return NULL;
    }
    if (!(token = bson_new_from_json((const uint8_t *)json, -1, &err))) {
        invite_sync_log(SYNCLOGNO(01325), "the resume point in the database"
                        " is not Extended JSON (%s): full copy",
                        err.message);
        return NULL;
    }
    return token;
}

/* After a full copy: its source and the heartbeat. */
static void copy_done(sync_t *s)
{
    apr_int64_t now = invite_sync_now_ms();

    if (invite_sync_state_set(s->st, INVITE_SYNC_KEY_SOURCE, s->m.source)
        != INVITE_SYNC_OK
        || invite_sync_state_set_ms(s->st, INVITE_SYNC_KEY_LAST_OK_AT, now)
           != INVITE_SYNC_OK) {
        invite_sync_log(SYNCLOGNO(01326), "cannot store the source after the"
                        " copy: %s", invite_sync_store_error(s->st));
    }
    s->beat_at = now;
}

/* Connects, copies or resumes, follows; again after each failure.  The
 * exit status. */
static int run(sync_t *s)
{
    long backoff = 1000;
    int force_copy = s->c->once, rc, copy_now;
    apr_pool_t *p;

    apr_pool_create(&p, s->pool);
    while (!invite_sync_stop) {
        mongoc_change_stream_t *stream = NULL;
        const char *why = NULL;
        bson_t *token = NULL;

        apr_pool_clear(p);
        rc = INVITE_SYNC_M_OK;
        if (!s->m.client) {
            rc = invite_sync_mongo_connect(&s->m, s->pool, &why);
            if (rc == INVITE_SYNC_M_FATAL) {
                invite_sync_log(SYNCLOGNO(01332), "%s", why);
                return INVITE_SYNC_EXIT_FAIL;
            }
            if (rc != INVITE_SYNC_M_OK) {
                if (s->c->once) {
                    invite_sync_log(SYNCLOGNO(01333), "%s", why);
                    return INVITE_SYNC_EXIT_FAIL;
                }
                rc = reconnect_wait(s, &backoff, why);
                if (rc == 1) {
                    break;
                }
                if (rc == SYNC_LEASE_LOST
                    && (rc = lease_wait(s)) != INVITE_SYNC_EXIT_OK) {
                    return rc < 0 ? INVITE_SYNC_EXIT_OK : rc;
                }
                continue;
            }
            invite_sync_log(SYNCLOGNO(01334), "connected to %s (replica set"
                            " member; database %s)", s->m.label,
                            s->m.dbname);
        }
        /* (Without a stored token, read again next time: the database
         * may only have failed to answer.) */
        copy_now = force_copy || !(token = stored_token(s, p));
        if (copy_now) {
            rc = invite_sync_mongo_copy(&s->m, s->st, p, s->c->batch,
                                        lease_renew, s, &stream, &why);
            if (rc == INVITE_SYNC_M_OK) {
                copy_done(s);
                force_copy = 0;
                if (s->c->once) {
                    mongoc_change_stream_destroy(stream);
                    return INVITE_SYNC_EXIT_OK;
                }
            }
        }
        else {
            rc = invite_sync_mongo_watch(&s->m, token, &stream, p, &why);
            bson_destroy(token);
            if (rc == INVITE_SYNC_M_LOST) {
                mongoc_change_stream_destroy(stream);
                invite_sync_log(SYNCLOGNO(01335), "cannot resume the change"
                                " stream from the stored point (%s): full"
                                " resync", why);
                force_copy = 1;
                continue;
            }
            if (rc != INVITE_SYNC_M_OK) {
                mongoc_change_stream_destroy(stream);
                stream = NULL;
            }
            else {
                invite_sync_log(SYNCLOGNO(01336), "following the change"
                                " stream from the stored resume point");
            }
        }
        if (rc == INVITE_SYNC_M_OK) {
            backoff = 1000;
            rc = follow(s, stream, &why);
            mongoc_change_stream_destroy(stream);
        }
        if (s->c->once && rc != INVITE_SYNC_M_STOP) {
            invite_sync_log(SYNCLOGNO(01337), "full copy failed: %s", why);
            return INVITE_SYNC_EXIT_FAIL;
        }
        if (rc == INVITE_SYNC_M_STOP && !invite_sync_stop) {
            rc = SYNC_LEASE_LOST;       /* the copy lost it */
        }
        switch (rc) {
        case INVITE_SYNC_M_STOP:
            break;
        case SYNC_RESYNC:
            force_copy = 1;
            break;
        case SYNC_LEASE_LOST:
            invite_sync_mongo_disconnect(&s->m);
            if ((rc = lease_wait(s)) != INVITE_SYNC_EXIT_OK) {
                return rc < 0 ? INVITE_SYNC_EXIT_OK : rc;
            }
            break;
        case INVITE_SYNC_M_LOST:
            invite_sync_log(SYNCLOGNO(01338), "the change stream's history"
                            " is lost (%s): full resync", why);
            force_copy = 1;
            break;
        case INVITE_SYNC_M_DB:
            if (sql_wait(s, &backoff, why)) {
                return INVITE_SYNC_EXIT_OK;
            }
            break;
        default:
            rc = reconnect_wait(s, &backoff, why);
            if (rc == 1) {
                return INVITE_SYNC_EXIT_OK;
            }
            if (rc == SYNC_LEASE_LOST
                && (rc = lease_wait(s)) != INVITE_SYNC_EXIT_OK) {
                return rc < 0 ? INVITE_SYNC_EXIT_OK : rc;
            }
        }
    }
    return INVITE_SYNC_EXIT_OK;
}

/* ------------------------------------------------------------- status */

static int status(sync_t *s)
{
    apr_pool_t *p = s->pool;
    const char *source = invite_sync_state_get(s->st, INVITE_SYNC_KEY_SOURCE,
                                               p);
    const char *ok = invite_sync_state_get(s->st, INVITE_SYNC_KEY_LAST_OK_AT,
                                           p);
    const char *full = invite_sync_state_get(s->st,
                                             INVITE_SYNC_KEY_LAST_FULL_COPY,
                                             p);
    long pending = invite_sync_outbox_pending(s->st);
    apr_int64_t ok_ms = ok ? apr_atoi64(ok) : 0;

    printf("source: %s\n", source ? source : "none");
    if (ok_ms > 0) {
        apr_int64_t lag = (invite_sync_now_ms() - ok_ms) / 1000;

        printf("last_ok_at: %s\n", invite_sync_iso(p, ok_ms));
        printf("lag: %ld s\n", (long)(lag > 0 ? lag : 0));
    }
    else {
        printf("last_ok_at: never\nlag: never synced\n");
    }
    printf("last_full_copy_at: %s\n",
           full && apr_atoi64(full) > 0
           ? invite_sync_iso(p, apr_atoi64(full)) : "never");
    if (pending >= 0) {
        printf("outbox: %ld pending\n", pending);
    }
    else {
        printf("outbox: unknown (%s)\n", invite_sync_store_error(s->st));
    }
    return ok_ms > 0 && pending >= 0 ? INVITE_SYNC_EXIT_OK
                                     : INVITE_SYNC_EXIT_FAIL;
}

/* --------------------------------------------------------------- main */

static void on_signal(int sig)
{
    (void)sig;
    invite_sync_stop = 1;
}

static void install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

/* Opens the store: 0, or -1 after a message.  A PostgreSQL server that
 * does not answer is waited for (1 s doubling), unless --once or
 * --status; anything else (no schema, an old one, a SQLite file that
 * cannot be opened) is an error that waiting does not mend. */
static int store_open(sync_t *s)
{
    long backoff = 1000;
    const char *err = NULL;
    int said = 0;

    while (invite_sync_store_open(&s->st, s->pool, s->c->driver,
                                  s->c->params, &err) != APR_SUCCESS) {
        int transient = !strcmp(s->c->driver, "pgsql") && err
            && (!strncmp(err, "cannot open the database", 24)
                || !strncmp(err, "cannot read the database", 24));

        if (!transient || s->c->once || s->c->status) {
            invite_sync_log(SYNCLOGNO(01302), "%s",
                            err ? err : "cannot open the database");
            return -1;
        }
        if (!said++) {
            invite_sync_log(SYNCLOGNO(01305), "%s; trying again", err);
        }
        if (invite_sync_sleep(backoff)) {
            return -1;
        }
        backoff = backoff_next(s, backoff);
    }
    if (said) {
        invite_sync_log(SYNCLOGNO(01306), "the database answers");
    }
    return 0;
}

static int sync_main(apr_pool_t *pool, int argc, char **argv)
{
    invite_sync_conf_t c = { 0 };
    sync_t s;
    const char *err = NULL, *user = NULL, **pw;
    invite_sync_outbox_t *outbox = NULL;
    char host[256];
    int rv;

    c.heartbeat_s = 10;
    c.lease_s = 30;
    c.backoff_max_s = 60;
    c.batch = 500;
    c.outbox = 1;
    if ((rv = parse_args(argc, argv, &c)) >= 0) {
        return rv;
    }
    invite_sync_verbose = c.verbose;
    if (c.conf_file
        && invite_apconf_read(pool, c.conf_file, "--driver NAME",
                              "--params PARAMS", &c.driver, &c.params, &user,
                              &err) != 0) {
        invite_sync_log(SYNCLOGNO(01300), "%s", err);
        return INVITE_SYNC_EXIT_FAIL;
    }
    if (!c.driver || !c.params) {
        return usage_error(c.conf_file ? "no DBDriver and DBDParams in %s"
                                       : "no database: give -f HTTPD_CONF or"
                                         " --driver NAME --params PARAMS%s",
                           c.conf_file ? c.conf_file : "");
    }
    for (pw = invite_dbname_passwords(pool, c.driver, c.params); pw && *pw;
         pw++) {
        invite_sync_secret(*pw);
    }
    if (invite_sync_settings_read(pool, c.settings_file ? c.settings_file
                                        : INVITE_SYNC_DEFAULT_CONFIG,
                                  c.settings_file != NULL, &c, &err) != 0) {
        invite_sync_log(SYNCLOGNO(01301), "%s", err);
        return INVITE_SYNC_EXIT_FAIL;
    }
    invite_sync_settings_env(&c);
    invite_sync_secret(c.bot_token);

    memset(&s, 0, sizeof(s));
    s.pool = pool;
    s.c = &c;
    install_signals();
    if (store_open(&s) != 0) {
        return INVITE_SYNC_EXIT_FAIL;
    }
    if (c.status) {
        rv = status(&s);
        invite_sync_store_close(s.st);
        return rv;
    }
    if (!c.mongo_url || !*c.mongo_url) {
        invite_sync_store_close(s.st);
        invite_sync_log(SYNCLOGNO(01303), "no MongoDB URL: set mongo_url in"
                        " %s or INVITE_SYNC_MONGO_URL", c.settings_file
                        ? c.settings_file : INVITE_SYNC_DEFAULT_CONFIG);
        return INVITE_SYNC_EXIT_FAIL;
    }
    if (invite_sync_mongo_init(&s.m, pool, c.mongo_url, &err)
        != INVITE_SYNC_M_OK) {
        invite_sync_store_close(s.st);
        invite_sync_log(SYNCLOGNO(01304), "%s", err);
        invite_sync_mongo_free(&s.m);
        return INVITE_SYNC_EXIT_FAIL;
    }
    if (gethostname(host, sizeof(host)) != 0) {
        strcpy(host, "localhost");
    }
    host[sizeof(host) - 1] = '\0';
    s.owner = apr_psprintf(pool, "%s:%ld", host, (long)getpid());

    rv = lease_wait(&s);
    if (rv == INVITE_SYNC_EXIT_OK) {
        invite_sync_log(SYNCLOGNO(01310), "%s: %s as %s%s", c.once
                        ? "full copy" : "following", s.m.label, s.owner,
                        c.once ? "" : ", lease renewed with the heartbeat");
        if (!c.once) {
            outbox = invite_sync_outbox_start(pool, &c, &s.have_lease);
        }
        invite_sync_copy_invites(s.st, c.invites);
        rv = run(&s);
    }
    else if (rv < 0) {
        rv = INVITE_SYNC_EXIT_OK;
    }
    invite_sync_outbox_stop(outbox);
    if (s.have_lease) {
        invite_sync_lease_release(s.st, s.owner);
    }
    if (invite_sync_stop) {
        invite_sync_log(SYNCLOGNO(01315), "stopped");
    }
    if (s.last_token) {
        bson_destroy(s.last_token);
    }
    invite_sync_mongo_free(&s.m);
    invite_sync_store_close(s.st);
    return rv;
}

int main(int argc, char **argv)
{
    apr_pool_t *pool;
    int rv;

    if (apr_app_initialize(&argc, (const char *const **)&argv, NULL)
        != APR_SUCCESS) {
        fprintf(stderr, "invite-sync: cannot initialise APR\n");
        return INVITE_SYNC_EXIT_FAIL;
    }
    apr_pool_create(&pool, NULL);
    apr_dbd_init(pool);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    mongoc_init();
    rv = sync_main(pool, argc, argv);
    if (fflush(stdout) != 0 && rv == INVITE_SYNC_EXIT_OK) {
        fprintf(stderr, "invite-sync: cannot write the output\n");
        rv = INVITE_SYNC_EXIT_FAIL;
    }
    apr_pool_destroy(pool);
    mongoc_cleanup();
    curl_global_cleanup();
    invite_sync_secrets_clear();
    apr_terminate();
    return rv;
}
