/* SPDX-License-Identifier: Apache-2.0 */
/* The allocations of t/sanitizer/asan_pool.h: one malloc each, freed with
 * the pool. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "asan_pool.h"
#undef apr_palloc
#undef apr_pcalloc
#undef apr_pstrdup
#undef apr_pstrmemdup
#undef apr_psprintf
#undef apr_pstrcat

static apr_status_t free_with_pool(void *mem)
{
    free(mem);
    return APR_SUCCESS;
}

/* GCC takes the fresh block, passed on as a const void *, for a read of
 * uninitialised memory; apr_pool_cleanup_register only stores the pointer. */
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
void *invite_asan_palloc(apr_pool_t *p, apr_size_t n)
{
    void *mem = malloc(n ? n : 1);
    if (!mem)
        abort();
    apr_pool_cleanup_register(p, mem, free_with_pool, apr_pool_cleanup_null);
    return mem;
}

void *invite_asan_pcalloc(apr_pool_t *p, apr_size_t n)
{
    return memset(invite_asan_palloc(p, n), 0, n);
}

char *invite_asan_pstrmemdup(apr_pool_t *p, const char *s, apr_size_t n)
{
    char *d;
    if (!s)
        return NULL;
    d = invite_asan_palloc(p, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *invite_asan_pstrdup(apr_pool_t *p, const char *s)
{
    return s ? invite_asan_pstrmemdup(p, s, strlen(s)) : NULL;
}

/* APR's own formatter (its format extensions), then a copy of exact size. */
char *invite_asan_psprintf(apr_pool_t *p, const char *fmt, ...)
{
    va_list ap;
    char *s;
    va_start(ap, fmt);
    s = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    return invite_asan_pstrdup(p, s);
}

char *invite_asan_pstrcat(apr_pool_t *p, ...)
{
    va_list ap;
    const char *s;
    apr_size_t len = 0;
    char *out, *at;
    va_start(ap, p);
    while ((s = va_arg(ap, const char *)) != NULL)
        len += strlen(s);
    va_end(ap);
    at = out = invite_asan_palloc(p, len + 1);
    va_start(ap, p);
    while ((s = va_arg(ap, const char *)) != NULL) {
        apr_size_t n = strlen(s);
        memcpy(at, s, n);
        at += n;
    }
    va_end(ap);
    *at = '\0';
    return out;
}
