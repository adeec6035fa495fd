/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tap.h - a minimal Test Anything Protocol emitter for the C unit tests,
 * so that `prove` runs them beside the Apache::Test suite.
 */
#ifndef INVITE_TAP_H
#define INVITE_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

static int tap_ok(int cond, const char *name, const char *file, int line)
{
    ++tap_count;
    printf("%sok %d - %s\n", cond ? "" : "not ", tap_count, name);
    if (!cond) {
        ++tap_failed;
        printf("#   Failed test '%s' at %s line %d\n", name, file, line);
    }
    return cond;
}

#define ok(cond, name) tap_ok(!!(cond), (name), __FILE__, __LINE__)

#define is_str(got, want, name) do {                                      \
    const char *g_ = (got), *w_ = (want);                                 \
    if (!tap_ok(g_ && w_ ? strcmp(g_, w_) == 0 : g_ == w_, (name),        \
                __FILE__, __LINE__))                                      \
        printf("#          got: '%s'\n#     expected: '%s'\n",            \
               g_ ? g_ : "(null)", w_ ? w_ : "(null)");                   \
} while (0)

#define is_int(got, want, name) do {                                      \
    long long g_ = (long long)(got), w_ = (long long)(want);              \
    if (!tap_ok(g_ == w_, (name), __FILE__, __LINE__))                    \
        printf("#          got: %lld\n#     expected: %lld\n", g_, w_);   \
} while (0)

static int done_testing(void)
{
    printf("1..%d\n", tap_count);
    return tap_failed ? 1 : (tap_count ? 0 : 2);
}

#endif
