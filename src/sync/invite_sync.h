/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_sync.h - the invite-sync daemon's parts (docs/invite-sync.8):
 *
 *   invite_sync_main.c      options, the lease, the follow loop, --status
 *   invite_sync_settings.c  the settings file, the environment, messages
 *                           with secrets hidden (no libmongoc: unit-tested)
 *   invite_sync_mongo.c     libmongoc: connection, hello, the change
 *                           stream, the full copy
 *   invite_sync_outbox.c    join_outbox delivery to Rocket.Chat's REST API
 *                           (libcurl, its own thread and connection)
 *
 * The SQL side is the store (include/invite_sync_store.h).
 */
#ifndef INVITE_SYNC_H
#define INVITE_SYNC_H

#include <stdarg.h>

#include <apr_pools.h>
#include <apr_time.h>

/* Log tags, as the module's INVLOGNO: INV01300 to INV01399. */
#define SYNCLOGNO(n) "INV" #n ": "

#define INVITE_SYNC_EXIT_OK 0
#define INVITE_SYNC_EXIT_FAIL 1
#define INVITE_SYNC_EXIT_USAGE 2
#define INVITE_SYNC_EXIT_LEASE 3       /* --no-wait: another holds it */

#define INVITE_SYNC_DEFAULT_CONFIG "/etc/mod-invite/invite-sync.conf"
#define INVITE_SYNC_DEFAULT_DB "rocketchat"

/* What the command line, the settings file and the environment say. */
typedef struct {
    /* command line */
    const char *conf_file;          /* -f */
    const char *driver, *params;    /* --driver, --params (or from -f) */
    const char *settings_file;      /* --config, or the default if there */
    int once, status, no_wait, verbose;
    int invites;                    /* --invites (with --once) */
    long heartbeat_s, lease_s, backoff_max_s, batch;
    /* settings file / environment */
    const char *mongo_url;
    const char *rocketchat_url;
    const char *bot_user_id;
    const char *bot_token;
    int outbox;                     /* outbox = on (default) | off */
} invite_sync_conf_t;

/* ------------------------------------------- settings (settings.c) */

/* Reads the settings file `file` into c.  must_exist: a missing file is
 * an error (--config), else it is skipped (the default path).  A file
 * that group or others may read or write is refused, as is a line that
 * is not `key = value`, an unknown key, or a bad value.  0, or -1 with
 * *err (never a value from the file). */
int invite_sync_settings_read(apr_pool_t *p, const char *file,
                              int must_exist, invite_sync_conf_t *c,
                              const char **err);

/* The environment's overrides: INVITE_SYNC_MONGO_URL,
 * INVITE_SYNC_ROCKETCHAT_URL, INVITE_SYNC_BOT_USER_ID,
 * INVITE_SYNC_BOT_TOKEN (when set and not empty). */
void invite_sync_settings_env(invite_sync_conf_t *c);

/* url with the password of its user:password@ (and the values of
 * options that carry secrets: ...password=, authMechanismProperties)
 * replaced by "***", for messages. */
const char *invite_sync_url_redact(apr_pool_t *p, const char *url);

/* The password of url's user:password@, as written (%-encoded), or
 * NULL: a secret for messages. */
const char *invite_sync_url_password(apr_pool_t *p, const char *url);

/* ------------------------------------------ messages (settings.c) */

/* Adds a secret that no message may show (copied; "" and NULL are
 * ignored): the MongoDB password, the bot's token, DBDParams passwords. */
void invite_sync_secret(const char *s);

/* Drops every secret (tests, exit). */
void invite_sync_secrets_clear(void);

/* s with every secret replaced by "***", malloc'd (free it). */
char *invite_sync_redact(const char *s);

/* "invite-sync: MSG\n" on stderr, secrets hidden; one write per line,
 * from any thread.  tag: SYNCLOGNO(013nn), or "" for none. */
void invite_sync_log(const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void invite_sync_vlog(const char *tag, const char *fmt, va_list ap);

/* Verbose messages (-v) go out only when this is set. */
extern int invite_sync_verbose;

/* An epoch-ms time as "YYYY-MM-DDTHH:MM:SSZ" (UTC), in p. */
const char *invite_sync_iso(apr_pool_t *p, apr_int64_t ms);

/* Now, in epoch ms. */
apr_int64_t invite_sync_now_ms(void);

/* Set by SIGTERM / SIGINT: finish the batch and stop. */
extern volatile int invite_sync_stop;

/* Sleeps ms, in slices, returning early (1) once invite_sync_stop is
 * set; else 0. */
int invite_sync_sleep(long ms);

/* ------------------------------------------------ outbox (outbox.c) */

typedef struct invite_sync_outbox_s invite_sync_outbox_t;

/* Starts the delivery thread on a store connection of its own: rows due
 * in join_outbox go to Rocket.Chat while *active (the lease is held);
 * NULL (after saying why) when there is nothing to deliver to (no
 * rocketchat_url, outbox off). */
invite_sync_outbox_t *invite_sync_outbox_start(apr_pool_t *p,
                                               const invite_sync_conf_t *c,
                                               volatile int *active);

/* Stops it (after the delivery in progress, at most its timeout). */
void invite_sync_outbox_stop(invite_sync_outbox_t *o);

/* What one delivery did. */
enum {
    INVITE_SYNC_DELIVERED = 1,   /* joined, or already a member */
    INVITE_SYNC_RETRY = 0        /* anything else: try again later */
};

/* Posts one join: {rocketchat_url}/api/v1/channels.invite (room_type c)
 * or groups.invite (p) with {"roomId", "userId"} as the bot.  On
 * INVITE_SYNC_RETRY *why says why (one line, no secret), in p. */
int invite_sync_deliver(apr_pool_t *p, const invite_sync_conf_t *c,
                        const char *user_id, const char *rid,
                        const char *room_type, long timeout_ms,
                        const char **why);

/* The delay before the next attempt after `attempts` failed ones: 1 s
 * doubling, at most 5 min. */
apr_int64_t invite_sync_outbox_backoff_ms(int attempts);

#endif
