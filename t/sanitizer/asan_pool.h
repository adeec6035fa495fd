/* SPDX-License-Identifier: Apache-2.0 */
/* Force-included (-include) into the sanitized unit tests (make
 * unit-sanitize).  Debian's APR takes pool memory from its allocator in
 * mmap'ed blocks and hands out pieces of them, so AddressSanitizer puts no
 * red zone between two pool allocations and an overrun into the next one
 * goes unseen.  Here every pool allocation the core and the tests make
 * (apr_palloc, apr_pcalloc, apr_pstrdup, apr_pstrmemdup, apr_psprintf,
 * apr_pstrcat) is a malloc of its own, freed by a cleanup of the pool, so
 * ASan checks each one's bounds and use after the pool is gone. */
#ifndef INVITE_ASAN_POOL_H
#define INVITE_ASAN_POOL_H
#include <apr_pools.h>
#include <apr_strings.h>

void *invite_asan_palloc(apr_pool_t *p, apr_size_t n);
void *invite_asan_pcalloc(apr_pool_t *p, apr_size_t n);
char *invite_asan_pstrdup(apr_pool_t *p, const char *s);
char *invite_asan_pstrmemdup(apr_pool_t *p, const char *s, apr_size_t n);
char *invite_asan_psprintf(apr_pool_t *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *invite_asan_pstrcat(apr_pool_t *p, ...) __attribute__((sentinel));

#undef apr_pcalloc
#define apr_palloc     invite_asan_palloc
#define apr_pcalloc    invite_asan_pcalloc
#define apr_pstrdup    invite_asan_pstrdup
#define apr_pstrmemdup invite_asan_pstrmemdup
#define apr_psprintf   invite_asan_psprintf
#define apr_pstrcat    invite_asan_pstrcat
#endif
