/* SPDX-License-Identifier: Apache-2.0 */
/* test_token.c - login-token hashing and constant-time comparison. */
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "invite_core.h"
#include "tap.h"

int main(void)
{
    apr_pool_t *pool;
    const char *h, *h2;

    apr_initialize();
    apr_pool_create(&pool, NULL);

    /* The same digests with SHA-256 fetched once (as child_init does) as
     * without: both halves of this file run, before and after. */
    is_str(invite_token_hash(pool, "RScctEHSmLGZGywfIhWyRpyofhKOiMoUIpimhvheU3f"),
           "mKvHbpuMqYlkjo15nA68sXqlJ4hvDUDKrQL+ffChrE8=",
           "known vector before invite_token_init");
    ok(invite_token_init(pool) == APR_SUCCESS, "invite_token_init");
    ok(invite_token_init(pool) == APR_SUCCESS, "invite_token_init twice");

    /* Expected values from:
     *   printf %s '<token>' | openssl dgst -sha256 -binary | base64 */
    h = invite_token_hash(pool, "RScctEHSmLGZGywfIhWyRpyofhKOiMoUIpimhvheU3f");
    is_str(h, "mKvHbpuMqYlkjo15nA68sXqlJ4hvDUDKrQL+ffChrE8=",
           "known vector: base64(sha256(token))");
    is_int(h ? strlen(h) : 0, INVITE_TOKEN_HASH_LEN, "hash has 44 characters");
    ok(h && h[43] == '=', "standard base64 is padded");

    /* Standard alphabet ('+' and '/', not base64url). */
    ok(h && strchr(h, '+') != NULL, "vector uses '+' (standard alphabet)");
    is_str(invite_token_hash(pool, ""),
           "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
           "empty token hashes to the SHA-256 of nothing");
    is_str(invite_token_hash(pool, "\xc3\xa9"),
           "SplVfkAzw1Od4utlRyAXytX5VX96BiWgnxw/biumnEw=",
           "UTF-8 bytes are hashed as is");
    ok(invite_token_hash(pool, NULL) == NULL, "NULL token gives NULL");

    h2 = invite_token_hash(pool, "RScctEHSmLGZGywfIhWyRpyofhKOiMoUIpimhvheU3f");
    ok(h != h2, "each call allocates a fresh string");
    ok(invite_token_hash_equal(h, h2), "equal hashes compare equal");
    ok(invite_token_hash_equal(h, "mKvHbpuMqYlkjo15nA68sXqlJ4hvDUDKrQL+ffChrE8="),
       "equal to the literal");
    ok(!invite_token_hash_equal(h, "mKvHbpuMqYlkjo15nA68sXqlJ4hvDUDKrQL+ffChrE9="),
       "last character differs");
    ok(!invite_token_hash_equal(h, "nKvHbpuMqYlkjo15nA68sXqlJ4hvDUDKrQL+ffChrE8="),
       "first character differs");
    ok(!invite_token_hash_equal(h, "mKvHbpuMqYlkjo15nA68sXqlJ4hvDUDKrQL+ffChrE8"),
       "prefix (length mismatch) is unequal");
    ok(!invite_token_hash_equal(h, "mKvHbpuMqYlkjo15nA68sXqlJ4hvDUDKrQL+ffChrE8=="),
       "longer string (length mismatch) is unequal");
    ok(!invite_token_hash_equal(h, ""), "empty is unequal to a hash");
    ok(!invite_token_hash_equal(h, NULL), "NULL second argument is unequal");
    ok(!invite_token_hash_equal(NULL, h), "NULL first argument is unequal");
    ok(!invite_token_hash_equal(NULL, NULL), "two NULLs are unequal");
    /* A raw token must not match its own hash. */
    ok(!invite_token_hash_equal(h, "RScctEHSmLGZGywfIhWyRpyofhKOiMoUIpimhvheU3f"),
       "the raw token does not match its hash");

    /* The find statement returns all of a user's hashes, space-separated. */
    {
        const char *other = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        const char *list = apr_pstrcat(pool, other, " ", h, " ", other, NULL);
        ok(invite_token_hash_in_list(h, list), "found in the middle of a list");
        ok(invite_token_hash_in_list(h, h), "a list of one");
        ok(invite_token_hash_in_list(h, apr_pstrcat(pool, other, " ", h, NULL)),
           "found at the end");
        ok(invite_token_hash_in_list(h, apr_pstrcat(pool, h, " ", h, NULL)),
           "found twice");
        ok(!invite_token_hash_in_list(h, other), "absent from a list of one");
        ok(!invite_token_hash_in_list(h, apr_pstrcat(pool, other, " ", other,
                                                     NULL)),
           "absent from a longer list");
        {
            /* Every byte counts: a stored value differing from the hash in
             * its first or its last byte alone is another hash. */
            char *first = apr_pstrdup(pool, h), *last = apr_pstrdup(pool, h);
            size_t n = strlen(h);
            first[0] = first[0] == 'A' ? 'B' : 'A';
            last[n - 1] = last[n - 1] == 'A' ? 'B' : 'A';
            ok(!invite_token_hash_in_list(h, first), "differs in the first byte only");
            ok(!invite_token_hash_in_list(h, last), "differs in the last byte only");
            ok(!invite_token_hash_equal(h, last), "equal: the last byte counts");
        }
        ok(!invite_token_hash_in_list(h, ""), "empty list");
        ok(!invite_token_hash_in_list(h, NULL), "NULL list (no such user)");
        ok(!invite_token_hash_in_list(NULL, list), "NULL hash");
        ok(!invite_token_hash_in_list(h, "mKvHbpuMqYlkjo15nA68sXqlJ4hvDUDKrQL+ffChrE8"),
           "a prefix of the hash does not match");
        ok(!invite_token_hash_in_list(h, apr_pstrcat(pool, h, "x", NULL)),
           "the hash plus a character does not match");
        ok(!invite_token_hash_in_list(
               "mKvHbpuMqYlkjo15nA68sXqlJ4hvDUDKrQL+ffChrE8= 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
               list),
           "a hash with a space inside matches nothing");
        ok(invite_token_hash_in_list(h, apr_pstrcat(pool, "  ", h, "  ", NULL)),
           "extra separators are skipped");
        /* Found by fuzz/fuzz_token.c: a list with a leading space held an
         * empty entry that the empty string matched. */
        ok(!invite_token_hash_in_list("", " "), "\"\" is not in \" \"");
        ok(!invite_token_hash_in_list("", apr_pstrcat(pool, " ", h, NULL)),
           "\"\" is not in a list with a leading space");
        ok(!invite_token_hash_in_list("", ""), "\"\" is not in \"\"");
    }

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
