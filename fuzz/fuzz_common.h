/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_common.h - what the libFuzzer harnesses of the httpd-free core share
 * (fuzz/fuzz_common.c): one APR pool per process, cleared after every
 * input; inputs split into NUL-terminated fields in exactly-sized malloc
 * buffers; property checks that abort() so libFuzzer reports them.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <apr_pools.h>
#include <jansson.h>

/* Cleared after every input (fz_done); invite_token_init's digest lives
 * in a parent pool that is never cleared. */
extern apr_pool_t *fz_pool;

/* Once per process: LLVMFuzzerInitialize (defined in fuzz_common.c for
 * every harness) calls it. */
void fz_init(void);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* After every input: clears fz_pool and frees the fields. */
void fz_done(void);

/* A property of the core failed: print it and abort(). */
#define FZ_CHECK(cond, what) \
    do { \
        if (!(cond)) \
            fz_fail(__FILE__, __LINE__, #cond, (what)); \
    } while (0)
void fz_fail(const char *file, int line, const char *cond, const char *what)
    __attribute__((noreturn));

/* Splits data at each '\n' into at most max fields (the last one takes
 * the rest, newlines and all).  Each field is its own malloc buffer of
 * exactly len + 1 bytes, NUL-terminated, so ASan sees a read past its end;
 * a NUL inside a field ends it as a C string.  Missing fields are NULL.
 * Returns the number of fields present; all are freed by fz_done. */
int fz_split(const uint8_t *data, size_t size, int max, char **fields,
             size_t *lens);

/* n bytes and a NUL in an exactly-sized buffer, freed by fz_done. */
char *fz_str(const void *data, size_t n);

/* An exactly-sized copy of n bytes (no terminator), freed by fz_done. */
char *fz_copy(const void *data, size_t n);

/* A long long from a decimal field, saturating ("" or NULL is 0). */
long long fz_ll(const char *s);

/* Parses a body the core produced: a JSON object, or abort().  The caller
 * json_decref()s it.  Also checks JSON.stringify's lower-case \u escapes. */
json_t *fz_reparse_object(const char *text);

/* Aborts if a \u escape in JSON text has an upper-case hex digit. */
void fz_check_escapes(const char *text);

/* 1 if s is well-formed UTF-8 as jansson accepts it (NULL is not). */
int fz_utf8_ok(const char *s);

/* The string member k of o, or NULL. */
const char *fz_get_str(json_t *o, const char *k);

#endif
