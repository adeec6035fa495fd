/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_common.c - see fuzz_common.h.
 *
 * FUZZ_POOL_MALLOC: Debian's APR allocates pools with mmap, so
 * AddressSanitizer sees no red zones between pool allocations and a read
 * or write past one goes unnoticed.  Linked with
 * -Wl,--wrap=apr_palloc,--wrap=apr_pstrmemdup,--wrap=apr_pstrdup (the
 * Makefile does), the core's own calls to those (and to apr_pcalloc, a
 * macro over apr_palloc) get exactly-sized malloc buffers instead, freed
 * by a pool cleanup when the pool is cleared.  apr_psprintf and
 * apr_pstrcat still allocate inside APR.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "fuzz_common.h"
#include "invite_core.h"

apr_pool_t *fz_pool;
static apr_pool_t *root_pool;

#define MAX_BUFS 64
static void *bufs[MAX_BUFS];
static int nbufs;

void fz_init(void)
{
    if (root_pool)
        return;
    if (apr_initialize() != APR_SUCCESS
        || apr_pool_create(&root_pool, NULL) != APR_SUCCESS
        || apr_pool_create(&fz_pool, root_pool) != APR_SUCCESS
        || invite_token_init(root_pool) != APR_SUCCESS) {
        fprintf(stderr, "fuzz: cannot set up APR\n");
        abort();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    return 0;
}

void fz_done(void)
{
    apr_pool_clear(fz_pool);
    while (nbufs > 0)
        free(bufs[--nbufs]);
}

void fz_fail(const char *file, int line, const char *cond, const char *what)
{
    fprintf(stderr, "\n%s:%d: property failed: %s\n  %s\n", file, line, cond,
            what ? what : "");
    abort();
}

static char *copy(const void *data, size_t n, size_t alloc)
{
    char *b;

    if (nbufs == MAX_BUFS)
        fz_fail(__FILE__, __LINE__, "nbufs < MAX_BUFS", "too many fields");
    b = malloc(alloc ? alloc : 1);
    if (!b)
        abort();
    if (n)
        memcpy(b, data, n);
    bufs[nbufs++] = b;
    return b;
}

char *fz_copy(const void *data, size_t n)
{
    return copy(data, n, n);
}

char *fz_str(const void *data, size_t n)
{
    char *b = copy(data, n, n + 1);

    b[n] = '\0';
    return b;
}

int fz_split(const uint8_t *data, size_t size, int max, char **fields,
             size_t *lens)
{
    const uint8_t *p = data, *end = data + size;
    int n = 0;

    while (n < max) {
        const uint8_t *nl = n + 1 < max ? memchr(p, '\n', (size_t)(end - p))
                                        : NULL;
        size_t len = (size_t)((nl ? nl : end) - p);
        fields[n] = fz_str(p, len);
        if (lens)
            lens[n] = len;
        n++;
        if (!nl)
            break;
        p = nl + 1;
    }
    for (int i = n; i < max; i++) {
        fields[i] = NULL;
        if (lens)
            lens[i] = 0;
    }
    return n;
}

long long fz_ll(const char *s)
{
    if (!s)
        return 0;
    /* strtoll saturates at LLONG_MIN/LLONG_MAX */
    return strtoll(s, NULL, 10);
}

/* No \u escape may carry an upper-case hex digit (JSON.stringify). */
void fz_check_escapes(const char *text)
{
    const char *s;

    for (s = text; *s; s++) {
        if (*s != '\\')
            continue;
        if (s[1] == 'u') {
            for (int k = 2; k < 6; k++)
                FZ_CHECK(!(s[k] >= 'A' && s[k] <= 'F'), text);
            s += 5;
        }
        else {
            s++;
        }
    }
}

json_t *fz_reparse_object(const char *text)
{
    json_error_t err;
    json_t *v;

    FZ_CHECK(text != NULL, "no body");
    v = json_loads(text, JSON_ALLOW_NUL, &err);
    FZ_CHECK(json_is_object(v), text);
    fz_check_escapes(text);
    return v;
}

int fz_utf8_ok(const char *s)
{
    json_t *v;

    if (!s)
        return 0;
    v = json_string(s);
    json_decref(v);
    return v != NULL;
}

const char *fz_get_str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* ------------------------------------------------ FUZZ_POOL_MALLOC */

#ifdef FUZZ_POOL_MALLOC
void *__wrap_apr_palloc(apr_pool_t *p, apr_size_t size);
char *__wrap_apr_pstrmemdup(apr_pool_t *p, const char *s, apr_size_t n);
char *__wrap_apr_pstrdup(apr_pool_t *p, const char *s);

static apr_status_t free_buf(void *b)
{
    free(b);
    return APR_SUCCESS;
}

void *__wrap_apr_palloc(apr_pool_t *p, apr_size_t size)
{
    void *b = malloc(size ? size : 1);

    if (!b)
        return NULL;
    apr_pool_cleanup_register(p, b, free_buf, apr_pool_cleanup_null);
    return b;
}

char *__wrap_apr_pstrmemdup(apr_pool_t *p, const char *s, apr_size_t n)
{
    char *b;

    if (!s)
        return NULL;
    b = __wrap_apr_palloc(p, n + 1);
    if (b) {
        memcpy(b, s, n);
        b[n] = '\0';
    }
    return b;
}

char *__wrap_apr_pstrdup(apr_pool_t *p, const char *s)
{
    return s ? __wrap_apr_pstrmemdup(p, s, strlen(s)) : NULL;
}
#endif
