/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_cache.c - the per-process authentication and room-facts cache
 * (include/invite_cache.h says what it may serve stale, and for how long).
 */
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "invite_cache.h"
#include "invite_core.h"

typedef struct {
    apr_time_t expires;                   /* 0: empty */
    char user_id[INVITE_CACHE_ID_MAX + 1];
    char rid[INVITE_CACHE_ID_MAX + 1];
    char token_hash[INVITE_TOKEN_HASH_LEN + 1];
    invite_auth_facts_t facts;
} cache_entry_t;

struct invite_auth_cache_t {
    apr_thread_mutex_t *lock;
    unsigned slots;
    cache_entry_t *entries;
};

invite_auth_cache_t *invite_auth_cache_create(apr_pool_t *p, unsigned slots)
{
    invite_auth_cache_t *c = apr_pcalloc(p, sizeof(*c));

    if (slots < 1
        || apr_thread_mutex_create(&c->lock, APR_THREAD_MUTEX_DEFAULT, p)
           != APR_SUCCESS) {
        return NULL;
    }
    c->slots = slots;
    /* apr_pcalloc writes every byte: the memory is resident from here on. */
    c->entries = apr_pcalloc(p, (apr_size_t)slots * sizeof(*c->entries));
    return c;
}

static int fits(const char *user_id, const char *token_hash, const char *rid)
{
    return user_id && token_hash && rid
        && strlen(user_id) <= INVITE_CACHE_ID_MAX
        && strlen(rid) <= INVITE_CACHE_ID_MAX
        && strlen(token_hash) == INVITE_TOKEN_HASH_LEN;
}

static cache_entry_t *slot_for(invite_auth_cache_t *c, const char *user_id,
                               const char *token_hash, const char *rid)
{
    apr_ssize_t ul = (apr_ssize_t)strlen(user_id);
    apr_ssize_t rl = (apr_ssize_t)strlen(rid);
    apr_ssize_t hl = INVITE_TOKEN_HASH_LEN;
    /* The three keys hashed in turn (lengths passed, so no separator is
     * needed for the hash; equality compares each field). */
    unsigned int h = apr_hashfunc_default(user_id, &ul)
                   ^ (apr_hashfunc_default(rid, &rl) * 31u)
                   ^ (apr_hashfunc_default(token_hash, &hl) * 131u);
    return &c->entries[h % c->slots];
}

int invite_auth_cache_get(invite_auth_cache_t *c, const char *user_id,
                          const char *token_hash, const char *rid,
                          apr_time_t now, invite_auth_facts_t *out)
{
    cache_entry_t *e;
    int hit;

    if (!c || !fits(user_id, token_hash, rid)) {
        return 0;
    }
    e = slot_for(c, user_id, token_hash, rid);
    apr_thread_mutex_lock(c->lock);
    /* The token hash is compared in constant time like everywhere else. */
    hit = e->expires > now && !strcmp(e->user_id, user_id)
          && !strcmp(e->rid, rid)
          && invite_token_hash_equal(e->token_hash, token_hash);
    if (hit) {
        *out = e->facts;
    }
    apr_thread_mutex_unlock(c->lock);
    return hit;
}

void invite_auth_cache_put(invite_auth_cache_t *c, const char *user_id,
                           const char *token_hash, const char *rid,
                           apr_time_t expires, const invite_auth_facts_t *f)
{
    cache_entry_t *e;

    if (!c || !f || !fits(user_id, token_hash, rid)
        || strlen(f->room_type) > INVITE_CACHE_ROOM_TYPE_MAX) {
        return;
    }
    e = slot_for(c, user_id, token_hash, rid);
    apr_thread_mutex_lock(c->lock);
    apr_cpystrn(e->user_id, user_id, sizeof(e->user_id));
    apr_cpystrn(e->rid, rid, sizeof(e->rid));
    apr_cpystrn(e->token_hash, token_hash, sizeof(e->token_hash));
    e->facts = *f;
    e->expires = expires;
    apr_thread_mutex_unlock(c->lock);
}
