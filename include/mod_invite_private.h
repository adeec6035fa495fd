/*
 * mod_invite_private.h - shared by the httpd glue files (not by the core).
 * mod_invite.c declares the module and must not include APLOG_USE_MODULE
 * twice, hence INVITE_NO_APLOG_USE_MODULE there.
 */
#ifndef MOD_INVITE_PRIVATE_H
#define MOD_INVITE_PRIVATE_H

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <apr_dbd.h>
#include <apr_global_mutex.h>
#include <mod_dbd.h>

#include "invite_core.h"
#include "invite_cache.h"
#include "invite_dbname.h"
#include "invite_sql.h"
#include "invite_status.h"

extern module AP_MODULE_DECLARE_DATA invite_module;
#ifndef INVITE_NO_APLOG_USE_MODULE
APLOG_USE_MODULE(invite);
#endif

/* Module log tags: INVLOGNO(00001) "..." (numbers unique per message). */
#define INVLOGNO(n) "INV" #n ": "

#define INVITE_HANDLER_NAME "invite"
#define INVITE_DEFAULT_MAX_BODY 8192

/* --------------------------------------------------------------- config */

typedef struct {
    const char *site_url;       /* InviteSiteUrl; NULL: from ServerName */
    int url_type_direct;        /* InviteUrlType; -1 unset (proxy) */
    const char *deep_link_url;  /* InviteDeepLinkUrl */
    const char *cdn_prefix;     /* InviteCdnPrefix */
    apr_off_t max_body;         /* InviteMaxBodySize; -1 unset */
    apr_interval_time_t auth_cache_ttl;  /* InviteAuthCache; -1 unset, 0 off */
    int login_expiration_days;  /* InviteLoginExpiration; -1 unset, 0 never */
    int id_length;              /* InviteIdLength; -1 unset */
    /* InviteRateLimit: calls per window (-1 unset: Rocket.Chat's 10 per
     * 60 s; 0 off), the window, and the section that set them (windows
     * are counted per section, "" for the server). */
    int ratelimit_calls;
    apr_interval_time_t ratelimit_interval;
    const char *ratelimit_scope;
} invite_dir_cfg_t;

typedef struct {
    /* InviteDBD On was seen for this server: mod_invite prepares its
     * statements on a connection when it first uses it (mod_invite_db.c);
     * nothing is registered with mod_dbd. */
    int statements_registered;
} invite_srv_cfg_t;

extern const command_rec invite_cmds[];
void *invite_create_dir_cfg(apr_pool_t *p, char *dir);
void *invite_merge_dir_cfg(apr_pool_t *p, void *base, void *add);
void *invite_create_srv_cfg(apr_pool_t *p, server_rec *s);

/* The URL settings in effect for r (site URL falls back to ServerName). */
void invite_config_url(request_rec *r, const invite_dir_cfg_t *cfg,
                       invite_url_cfg_t *out);
apr_off_t invite_config_max_body(const invite_dir_cfg_t *cfg);

#define INVITE_DEFAULT_LOGIN_EXPIRATION_DAYS 90   /* Rocket.Chat's default */

/* The oldest login-token created_at (epoch ms) still accepted at `now`,
 * as a bound argument: tokens older than InviteLoginExpiration days are
 * refused with the normal 401; 0 days accepts any age. */
const char *invite_config_login_cutoff(apr_pool_t *p,
                                       const invite_dir_cfg_t *cfg,
                                       invite_ms_t now);

/* InviteIdLength: the length of new invite ids (default INVITE_ID_LEN). */
int invite_config_id_length(const invite_dir_cfg_t *cfg);

#define INVITE_DEFAULT_AUTH_CACHE_SLOTS 8192

/* The process's authentication cache (include/invite_cache.h) when cfg
 * turns it on, else NULL; *ttl is its lifetime. */
invite_auth_cache_t *invite_config_auth_cache(const invite_dir_cfg_t *cfg,
                                              apr_interval_time_t *ttl);
/* pre_config: forget the previous configuration's cache size. */
void invite_config_reset(void);
/* child_init: create this process's cache if any location uses one. */
apr_status_t invite_config_child_init(apr_pool_t *pchild);

/* post_config: logs each server that uses SetHandler invite (in its
 * <VirtualHost> or in the main server's sections, which it inherits) but
 * has no InviteDBD On, its own or the main server's; APR_EGENERAL if
 * any.  The main server itself only counts when some listener reaches
 * it. */
void invite_config_check_databases(apr_pool_t *ptemp, server_rec *main_server);
void invite_config_check_site_urls(apr_pool_t *ptemp, server_rec *main_server);
apr_status_t invite_config_check_handlers(apr_pool_t *ptemp,
                                          server_rec *main_server);

/* post_config: reads each server's DBDriver and DBDParams from the
 * configuration tree (for invite_config_db), logs the module's
 * version and the database of every server where InviteDBD is on, and
 * warns when such a server shares the main server's mod_dbd pool with
 * another mod_dbd consumer (DBDPrepareSQL, mod_authn_dbd, ...). */
void invite_config_databases(apr_pool_t *pconf, apr_pool_t *ptemp,
                             server_rec *main_server);

/* The database a request's server uses (never NULL). */
const invite_dbname_t *invite_config_db(const server_rec *s);

/* ----------------------------------------------------------------- HTTP */

/* Sends a JSON body with `status` and the no-cache headers; returns OK. */
int invite_http_send_json(request_rec *r, int status, const char *body);

/* Reads the whole request body, up to `cap` bytes.  On failure it has
 * answered already (JSON 413, 400 or 500) and leaves the handler's return
 * value in *done. */
apr_status_t invite_http_read_body(request_rec *r, apr_off_t cap,
                                   const char **body, apr_size_t *len,
                                   int *done);

/* A request header, or NULL when absent or empty. */
const char *invite_http_header(request_rec *r, const char *name);
/* Answer without reading the body: the connection closes instead. */
void invite_http_refuse_body(request_rec *r);

/* Canned error replies. */
int invite_http_unavailable(request_rec *r);     /* 503 with Retry-After */
int invite_http_misconfigured(request_rec *r);   /* 503, not temporary */
int invite_http_internal_error(request_rec *r);  /* 500 */

/* -------------------------------------------------------------- database */

/* Outcome of a database call, mapped by the handlers to HTTP. */
typedef enum {
    INVITE_DB_OK,
    INVITE_DB_UNAVAILABLE,   /* no connection, lost, busy or locked: 503 */
    INVITE_DB_ERROR,         /* anything else: 500 (logged) */
    /* The database is not one mod_invite can serve until the operator
     * acts (no schema, another schema version, a file or directory httpd
     * cannot write): 503 without Retry-After (logged with the fix). */
    INVITE_DB_MISCONFIGURED
} invite_db_rc_e;

typedef struct {
    request_rec *r;
    ap_dbd_t *dbd;
    const invite_engine_t *engine;   /* from the connection's driver */
    int in_transaction;
    int writer_locked;               /* holds the SQLite writer lock */
    int writer_lock_cleanup;         /* its safety cleanup is registered */
    apr_dbd_transaction_t *txn;
} invite_db_t;

/* NULL-safe: NULL means the pool has no working connection (503).  The
 * same connection for every call of one request, until released. */
invite_db_t *invite_db_acquire(request_rec *r);
/* Why invite_db_acquire() gave no connection: INVITE_DB_MISCONFIGURED for
 * a SQLite database that is not there (logged), else UNAVAILABLE. */
invite_db_rc_e invite_db_unacquired(const request_rec *r);
/* The connection back to mod_dbd's pool now (an open transaction rolled
 * back, the writer lock let go); later statements fail (INV00110).  The
 * request pool's cleanup does the same for a connection not released.
 * _request: the request's connection, if it has one. */
void invite_db_release(invite_db_t *db);
void invite_db_release_request(request_rec *r);

/* Runs a registered select; args as const char * (NULL binds SQL NULL).
 * Reads every row into *rows (an array of const char ** of ncols each,
 * NULL for SQL NULL) so results never outlive the call half-read. */
invite_db_rc_e invite_db_select(invite_db_t *db, invite_stmt_e stmt,
                                int nargs, const char **args,
                                apr_array_header_t **rows, int *ncols);
invite_db_rc_e invite_db_query(invite_db_t *db, invite_stmt_e stmt,
                               int nargs, const char **args, int *nrows);
/* The host-wide SQLite writer lock (a no-op on pgsql, or when held):
 * taken before any SQLite write, released by invite_db_write_unlock, by
 * invite_db_end, or at the latest when the request ends. */
invite_db_rc_e invite_db_write_lock(invite_db_t *db);
void invite_db_write_unlock(invite_db_t *db);

/* sqlite3 only (INVITE_ENGINE_SQLITE3): BEGIN IMMEDIATE under
 * the host-wide SQLite writer lock. */
invite_db_rc_e invite_db_begin(invite_db_t *db);
/* Commits when every statement succeeded, else rolls back; releases the
 * writer lock. */
invite_db_rc_e invite_db_end(invite_db_t *db, int commit);

/* The host-wide SQLite writer lock (Mutex invite-sqlite-writer):
 * pre_config, post_config and child_init. */
apr_status_t invite_db_mutex_register(apr_pool_t *pconf);
apr_status_t invite_db_mutex_create(server_rec *s, int *kept);
void invite_db_mutex_child_init(apr_pool_t *pchild, server_rec *s);
/* child_init of a host-wide mutex made in post_config: attaches *mutex
 * (nothing to do when NULL); on failure logs `failure` (a message with
 * its INVLOGNO tag) and sets it NULL. */
void invite_mutex_child_init(apr_global_mutex_t **mutex, apr_pool_t *pchild,
                             server_rec *s, const char *failure);

/* Fetches mod_dbd's optional functions (optional_fn_retrieve hook). */
void invite_db_retrieve_optional_fns(void);

/* -------------------------------------------- shared by the endpoints */

/* 503 for INVITE_DB_UNAVAILABLE (with Retry-After) and
 * INVITE_DB_MISCONFIGURED (without), else 500. */
int invite_http_db_failure(request_rec *r, invite_db_rc_e rc);

/* Database flags come back as "1" or "0" (NULL when SQL NULL). */
int invite_db_flag(const char *value);

/* An integer as a bound statement argument. */
const char *invite_db_int_arg(apr_pool_t *p, long long v);

/* An invite block of a result row (INVITE_COL_* from `col`). */
void invite_record_from_row(const char **col, invite_record_t *inv);

/* The caller's X-User-Id and the hash of its X-Auth-Token.  Returns 0,
 * or 1 after answering 401 when either header is missing or empty (the
 * handler's return value in *done).  The token is hashed before any
 * lookup, so that an unknown user and a wrong token cost the same. */
int invite_credentials(request_rec *r, const char **user_id,
                       const char **token_hash, int *done);

/* Reads the request body and parses it as Rocket.Chat's router does;
 * *params is the body validated and coerced against `schema` (the caller
 * owns the reference), *schema_error NULL or ajv's message.  Returns 0,
 * or 1 when reading failed and it has answered (*done). */
int invite_read_params(request_rec *r, const invite_dir_cfg_t *cfg,
                       const invite_schema_t *schema, json_t **params,
                       const char **schema_error, int *done);

/* Runs a statement that answers exactly one row (INVITE_STMT_AUTH,
 * INVITE_STMT_USE_FACTS) and returns it, with at least `min_cols`
 * columns; NULL after answering 503 or 500 (logged), with the handler's
 * return value in *done. */
const char **invite_select_row(invite_db_t *db, invite_stmt_e stmt, int nargs,
                               const char **args, int min_cols, int *done);

/* An authenticated caller of listInvites or removeInvite. */
typedef struct {
    const char *user_id;
    int granted;             /* create-invite-links through global roles */
    int rate_limit_exempt;   /* api-bypass-rate-limit */
} invite_caller_t;

/* Authenticates the caller (X-User-Id, X-Auth-Token) with
 * INVITE_STMT_AUTH and fills *db and *caller.  Returns 0 to go on, or 1
 * when it has answered (401, 503, 500), leaving the handler's return
 * value in *done. */
int invite_authenticate(request_rec *r, const invite_dir_cfg_t *cfg,
                        invite_db_t **db, invite_caller_t *caller, int *done);

/* The first steps of the admin routes: authentication, the rate limit of
 * `route`, then the global create-invite-links permission (400
 * not_authorized).  Returns 0 to go on with *db, or 1 with *done. */
int invite_authorize_admin(request_rec *r, const invite_dir_cfg_t *cfg,
                           const char *route, invite_db_t **db, int *done);

/* ------------------------------------------------- operator debug logs */

/* src/handle/invite_handle_log.c: why a request was refused, at LogLevel
 * debug for the module (INVLOGNO 007xx); each returns at once, before
 * any allocation, when debug is off for r.  The user id and the request
 * path are named, never a token or its hash. */
void invite_log_missing_credentials(request_rec *r, const char *user_id);
/* 401 with both headers: no such user, no token matches, or the token
 * expired (InviteLoginExpiration); runs INVITE_STMT_AUTH_FAILURE on db
 * (only when debug is on).  NULL-safe. */
void invite_log_auth_failure(invite_db_t *db, const invite_dir_cfg_t *cfg,
                             const char *user_id, const char *token_hash);
/* not_authorized: create-invite-links missing for the room (rid), or
 * from the global roles (rid NULL: listInvites, removeInvite). */
void invite_log_not_permitted(request_rec *r, const char *user_id,
                              const char *rid);
void invite_log_invalid_room(request_rec *r, const char *user_id,
                             const char *rid, int subscribed, int room_exists);
/* A body whose Content-Type makes Rocket.Chat ignore it. */
void invite_log_body_ignored(request_rec *r, const char *content_type,
                             apr_size_t len);
/* useInviteToken: the facts said "join", but the write that re-checks
 * them counted no use (the invite died or the user joined meanwhile). */
void invite_log_use_not_counted(request_rec *r, const char *user_id,
                                const char *rid);

/* ----------------------------------------------------------- rate limit */

/* Rocket.Chat's API rate limiter (docs/api.md#rate-limit), in
 * src/mod_invite_ratelimit.c: a fixed window per client IP
 * (r->useragent_ip), route and method, counted in mod_socache so that all
 * processes of a host (and with a shared provider, all hosts) see one
 * count.  Handlers call it after authentication and the body schema and
 * before their business checks; `route` is the route's pattern after
 * /api/v1/ ("findOrCreateInvite", "removeInvite/:_id").  `exempt`: the
 * caller holds api-bypass-rate-limit.  Returns 0 to go on (with the
 * X-RateLimit-* headers set when the limit applies), or 1 when it has
 * answered (429), leaving the handler's return value in *done. */
int invite_ratelimit_check(request_rec *r, const invite_dir_cfg_t *cfg,
                           const char *route, int exempt, int *done);

/* Directive handlers: InviteRateLimit (per directory) and
 * InviteRateLimitCache (main server). */
const char *invite_ratelimit_set_limit(cmd_parms *cmd, void *cfg,
                                       const char *calls,
                                       const char *seconds);
const char *invite_ratelimit_set_cache(cmd_parms *cmd, void *dummy,
                                       const char *arg);

/* pre_config: registers the invite-ratelimit mutex and forgets the
 * previous configuration's cache. */
apr_status_t invite_ratelimit_pre_config(apr_pool_t *pconf);
/* post_config: creates the cache and its mutex when some location may
 * apply the limit; logs and returns an error when the provider is not
 * loaded or fails. */
apr_status_t invite_ratelimit_check_config(apr_pool_t *ptemp, server_rec *s);
apr_status_t invite_ratelimit_post_config(apr_pool_t *pconf,
                                          apr_pool_t *ptemp, server_rec *s);
/* child_init: attaches the mutex. */
void invite_ratelimit_child_init(apr_pool_t *pchild, server_rec *s);

/* ------------------------------------------------------------ endpoints */

typedef int (*invite_endpoint_fn)(request_rec *r, const invite_dir_cfg_t *cfg);

int invite_handle_find_or_create(request_rec *r, const invite_dir_cfg_t *cfg);
int invite_handle_list(request_rec *r, const invite_dir_cfg_t *cfg);
int invite_handle_remove(request_rec *r, const invite_dir_cfg_t *cfg);
int invite_handle_use(request_rec *r, const invite_dir_cfg_t *cfg);
int invite_handle_validate(request_rec *r, const invite_dir_cfg_t *cfg);

/* -------------------------------------------------- mod_status counters */

/* src/mod_invite_status.c: host-wide counters in mod_slotmem_shm, shown
 * by mod_status.  Without mod_slotmem_shm they are off (logged once). */
void invite_status_post_config(apr_pool_t *pconf, server_rec *s);
void invite_status_register_hooks(apr_pool_t *p);
/* The request is counted (under `ep`) when it is logged. */
void invite_status_begin(request_rec *r, invite_endpoint_e ep);
/* The request used the database from `since` until now (a connection, a
 * statement, a wait for the writer lock). */
void invite_status_db_time(request_rec *r, apr_time_t since);
void invite_status_note_created(request_rec *r);
/* The rate limiter saw a window the cache lost before its end. */
void invite_status_note_evicted(void);

#endif
