/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_sync_outbox.c - join_outbox delivery (src/sync/invite_sync.h):
 * a useInviteToken join that subscribed a newcomer left a row; it goes to
 * Rocket.Chat's REST API as the bot,
 *
 *   POST {rocketchat_url}/api/v1/channels.invite   (rooms.t = c)
 *   POST {rocketchat_url}/api/v1/groups.invite     (rooms.t = p)
 *   X-User-Id, X-Auth-Token: the bot's; body {"roomId", "userId"}
 *
 * and the row is deleted once Rocket.Chat answers 200 with success: true
 * (which it also answers for a user already in the room: addUsersToRoom
 * tells that only in an ephemeral message), or the "already in the room"
 * error of older releases.  Anything else, a transport error too, keeps
 * the row for another attempt, 1 s doubling to 5 min later.
 *
 * Delivery runs in a thread of its own on a store connection of its own,
 * with timeouts, so that a hung REST server never holds up the stream.
 */
#include <string.h>

#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <apr_tables.h>

#include <curl/curl.h>
#include <jansson.h>

#include "invite_sync.h"
#include "invite_sync_store.h"

#define OUTBOX_BATCH 20
#define OUTBOX_IDLE_MS 1000
#define OUTBOX_TIMEOUT_MS 10000
#define OUTBOX_BODY_MAX 65536
#define OUTBOX_BACKOFF_MAX_MS (5 * 60 * 1000)

struct invite_sync_outbox_s {
    apr_pool_t *pool;
    const invite_sync_conf_t *conf;
    apr_thread_t *thread;
    volatile int *active;         /* the lease is held */
    volatile int stop;
};

apr_int64_t invite_sync_outbox_backoff_ms(int attempts)
{
    apr_int64_t ms = 1000;

    while (attempts-- > 0 && ms < OUTBOX_BACKOFF_MAX_MS) {
        ms *= 2;
    }
    return ms < OUTBOX_BACKOFF_MAX_MS ? ms : OUTBOX_BACKOFF_MAX_MS;
}

/* ---------------------------------------------------------- delivery */

typedef struct {
    char *data;
    size_t len;
    apr_pool_t *p;
} outbox_body_t;

static size_t outbox_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
    outbox_body_t *b = ud;
    size_t n = size * nmemb, keep = n;

    /* Enough to read Rocket.Chat's answer; the rest is dropped. */
    if (b->len + keep > OUTBOX_BODY_MAX) {
        keep = OUTBOX_BODY_MAX - b->len;
    }
    if (keep) {
        char *grown = apr_palloc(b->p, b->len + keep + 1);

        memcpy(grown, b->data, b->len);
        memcpy(grown + b->len, ptr, keep);
        b->len += keep;
        grown[b->len] = '\0';
        b->data = grown;
    }
    return n;
}

/* Rocket.Chat's word on a failure, one line and short: errorType, else
 * error, else "". */
static const char *outbox_rc_error(apr_pool_t *p, json_t *answer)
{
    const char *s = json_string_value(json_object_get(answer, "errorType"));
    char *out, *c;

    if (!s) {
        s = json_string_value(json_object_get(answer, "error"));
    }
    if (!s) {
        return "";
    }
    out = apr_pstrndup(p, s, 200);
    for (c = out; *c; c++) {
        if ((unsigned char)*c < 0x20) {
            *c = ' ';
        }
    }
    return out;
}

/* 1 when a refusal means the user is in the room already. */
static int outbox_already_member(json_t *answer)
{
    const char *t = json_string_value(json_object_get(answer, "errorType"));
    const char *e = json_string_value(json_object_get(answer, "error"));

    return (t && !strcmp(t, "error-user-already-in-room"))
        || (e && strstr(e, "[error-user-already-in-room]"));
}

int invite_sync_deliver(apr_pool_t *p, const invite_sync_conf_t *c,
                        const char *user_id, const char *rid,
                        const char *room_type, long timeout_ms,
                        const char **why)
{
    const char *route, *base = c->rocketchat_url, *url;
    struct curl_slist *h = NULL;
    outbox_body_t body = { "", 0, p };
    char errbuf[CURL_ERROR_SIZE] = "";
    json_t *req, *answer;
    char *payload;
    long code = 0;
    CURLcode rc;
    CURL *curl;
    int ok;

    if (!room_type || (strcmp(room_type, "c") && strcmp(room_type, "p"))) {
        *why = apr_psprintf(p, "room type '%s' has no invite route (c or p)",
                            room_type ? room_type : "");
        return INVITE_SYNC_RETRY;
    }
    route = !strcmp(room_type, "c") ? "channels.invite" : "groups.invite";
    while (*base && base[strlen(base) - 1] == '/') {
        base = apr_pstrndup(p, base, strlen(base) - 1);
    }
    url = apr_pstrcat(p, base, "/api/v1/", route, NULL);
    req = json_pack("{s:s, s:s}", "roomId", rid, "userId", user_id);
    payload = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!payload) {
        *why = "cannot build the request (invalid UTF-8 in an id?)";
        return INVITE_SYNC_RETRY;
    }
    if (!(curl = curl_easy_init())) {
        free(payload);
        *why = "cannot start libcurl";
        return INVITE_SYNC_RETRY;
    }
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "Accept: application/json");
    h = curl_slist_append(h, apr_pstrcat(p, "X-User-Id: ", c->bot_user_id,
                                         NULL));
    h = curl_slist_append(h, apr_pstrcat(p, "X-Auth-Token: ", c->bot_token,
                                         NULL));
    curl_easy_setopt(curl, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     timeout_ms < 5000 ? timeout_ms : 5000L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(payload));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, outbox_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "invite-sync");
    rc = curl_easy_perform(curl);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    }
    curl_easy_cleanup(curl);
    curl_slist_free_all(h);
    free(payload);
    if (rc != CURLE_OK) {
        *why = apr_psprintf(p, "%s: %s", route,
                            *errbuf ? errbuf : curl_easy_strerror(rc));
        return INVITE_SYNC_RETRY;
    }
    answer = json_loadb(body.data, body.len, 0, NULL);
    ok = (code == 200 && json_is_true(json_object_get(answer, "success")))
        || (code == 400 && outbox_already_member(answer));
    if (!ok) {
        const char *rc_error = outbox_rc_error(p, answer);

        *why = apr_psprintf(p, "%s: HTTP %ld%s%s", route, code,
                            *rc_error ? ": " : "", rc_error);
    }
    json_decref(answer);
    return ok ? INVITE_SYNC_DELIVERED : INVITE_SYNC_RETRY;
}

/* ------------------------------------------------------------- thread */

/* One pass: the rows due, each delivered or put off.  The number
 * delivered, or -1 on a database error. */
static int outbox_pass(invite_sync_outbox_t *o, invite_sync_store_t *st,
                       apr_pool_t *p)
{
    apr_array_header_t *rows = apr_array_make(p, OUTBOX_BATCH,
                                              sizeof(invite_sync_outbox_row_t));
    int i, done = 0;

    if (invite_sync_outbox_due(st, OUTBOX_BATCH, rows, p) != INVITE_SYNC_OK) {
        return -1;
    }
    for (i = 0; i < rows->nelts && !o->stop; i++) {
        invite_sync_outbox_row_t *r = &APR_ARRAY_IDX(rows, i,
                                                     invite_sync_outbox_row_t);
        const char *why = NULL;
        apr_int64_t delay;

        if (invite_sync_deliver(p, o->conf, r->user_id, r->rid, r->room_type,
                                OUTBOX_TIMEOUT_MS, &why)
            == INVITE_SYNC_DELIVERED) {
            if (invite_sync_outbox_done(st, r->user_id, r->rid)
                != INVITE_SYNC_OK) {
                return -1;
            }
            done++;
            continue;
        }
        delay = invite_sync_outbox_backoff_ms(r->attempts);
        invite_sync_log(SYNCLOGNO(01351), "outbox: the join of user %s to"
                        " room %s is not delivered yet (attempt %d): %s;"
                        " next attempt in %ld s", r->user_id, r->rid,
                        r->attempts + 1, why, (long)(delay / 1000));
        if (invite_sync_outbox_retry(st, r->user_id, r->rid,
                                     invite_sync_now_ms() + delay, why)
            != INVITE_SYNC_OK) {
            return -1;
        }
    }
    return done;
}

static void *APR_THREAD_FUNC outbox_main(apr_thread_t *t, void *data)
{
    invite_sync_outbox_t *o = data;
    invite_sync_store_t *st = NULL;
    apr_pool_t *p, *pass;
    const char *err = NULL;
    long delivered = 0;
    int db_down = 0;

    apr_pool_create(&p, NULL);
    apr_pool_create(&pass, p);
    while (!o->stop) {
        int n;

        if (!st && invite_sync_store_open(&st, p, o->conf->driver,
                                          o->conf->params, &err)
                   != APR_SUCCESS) {
            st = NULL;
            if (!db_down++) {
                invite_sync_log(SYNCLOGNO(01352), "outbox: cannot open the"
                                " database: %s; trying again", err);
            }
        }
        /* Only the lease's holder delivers. */
        n = !*o->active ? 0 : st ? outbox_pass(o, st, pass) : -1;
        apr_pool_clear(pass);
        if (n < 0 && st) {
            if (!db_down++) {
                invite_sync_log(SYNCLOGNO(01353), "outbox: database error:"
                                " %s; trying again",
                                invite_sync_store_error(st));
            }
            /* PostgreSQL: a restarted server leaves this connection dead;
             * a new one next time. */
            if (!strcmp(o->conf->driver, "pgsql")) {
                invite_sync_store_close(st);
                st = NULL;
            }
        }
        else if (n >= 0) {
            db_down = 0;
            delivered += n;
            if (n > 0 && invite_sync_verbose) {
                invite_sync_log(SYNCLOGNO(01354), "outbox: %d join%s"
                                " delivered (%ld in all)", n,
                                n == 1 ? "" : "s", delivered);
            }
        }
        /* Rows delivered: look again at once; else wait. */
        for (n = n > 0 ? 0 : OUTBOX_IDLE_MS / 100; n > 0 && !o->stop; n--) {
            apr_sleep(apr_time_from_msec(100));
        }
    }
    if (st) {
        invite_sync_store_close(st);
    }
    apr_pool_destroy(p);
    /* A return, not apr_thread_exit: pthread_exit's unwinding leaves
     * this frame's sanitizer shadow behind. */
    (void)t;
    return NULL;
}

invite_sync_outbox_t *invite_sync_outbox_start(apr_pool_t *p,
                                               const invite_sync_conf_t *c,
                                               volatile int *active)
{
    invite_sync_outbox_t *o;

    if (!c->outbox) {
        invite_sync_log(SYNCLOGNO(01355), "outbox = off: joins made here"
                        " are not handed back to Rocket.Chat");
        return NULL;
    }
    if (!c->rocketchat_url || !*c->rocketchat_url) {
        invite_sync_log(SYNCLOGNO(01356), "no rocketchat_url: joins made"
                        " here are not handed back to Rocket.Chat (they"
                        " wait in join_outbox)");
        return NULL;
    }
    if (!c->bot_user_id || !*c->bot_user_id || !c->bot_token
        || !*c->bot_token) {
        invite_sync_log(SYNCLOGNO(01357), "no bot_user_id or bot_token:"
                        " joins made here are not handed back to"
                        " Rocket.Chat (they wait in join_outbox)");
        return NULL;
    }
    o = apr_pcalloc(p, sizeof(*o));
    o->pool = p;
    o->conf = c;
    o->active = active;
    if (apr_thread_create(&o->thread, NULL, outbox_main, o, p)
        != APR_SUCCESS) {
        invite_sync_log(SYNCLOGNO(01358), "cannot start the outbox thread:"
                        " joins are not handed back to Rocket.Chat");
        return NULL;
    }
    invite_sync_log(SYNCLOGNO(01359), "joins made here go to %s",
                    invite_sync_url_redact(p, c->rocketchat_url));
    return o;
}

void invite_sync_outbox_stop(invite_sync_outbox_t *o)
{
    apr_status_t rv;

    if (!o) {
        return;
    }
    o->stop = 1;
    apr_thread_join(&rv, o->thread);
}
