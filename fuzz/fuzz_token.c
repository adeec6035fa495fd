/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_token.c - login-token hashing and comparison: invite_token_hash,
 * invite_token_hash_equal, invite_token_hash_in_list.
 *
 * Input: newline-separated fields: the token, a second token or hash, and
 * the rest is a space-separated hash list (any bytes).
 *
 * Properties: a hash is 44 characters of padded base64 and equals
 * base64(SHA-256(token)) as OpenSSL's own encoder writes it; equal is
 * strcmp()==0 for any two strings; in_list agrees with a plain split of
 * the list, and finds a hash in any list that contains it.
 */
#include <string.h>

#include <apr_strings.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "fuzz_common.h"
#include "invite_core.h"

/* The plain, not constant-time, reading of invite_token_hash_in_list. */
static int in_list_ref(const char *hash, const char *list)
{
    char *copy, *tok, *save = NULL;

    if (!hash || !list)
        return 0;
    copy = apr_pstrdup(fz_pool, list);
    for (tok = strtok_r(copy, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save))
        if (!strcmp(tok, hash))
            return 1;
    return 0;
}

static const char *check_hash(const char *token)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    unsigned char ref[4 * SHA256_DIGEST_LENGTH / 3 + 4];
    const char *h = invite_token_hash(fz_pool, token), *h2;

    FZ_CHECK(h != NULL, token);
    FZ_CHECK(strlen(h) == INVITE_TOKEN_HASH_LEN, h);
    FZ_CHECK(strspn(h, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                       "0123456789+/") == 43 && h[43] == '=', h);
    SHA256((const unsigned char *)token, strlen(token), md);
    FZ_CHECK(EVP_EncodeBlock(ref, md, sizeof md) == INVITE_TOKEN_HASH_LEN, h);
    FZ_CHECK(!strcmp(h, (const char *)ref), h);
    h2 = invite_token_hash(fz_pool, token);
    FZ_CHECK(h2 != h && invite_token_hash_equal(h, h2), h);
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *f[3];
    const char *h, *other, *list;

    fz_split(data, size, 3, f, NULL);
    other = f[1];
    list = f[2];

    h = check_hash(f[0]);
    FZ_CHECK(invite_token_hash(NULL, f[0]) == NULL, "NULL pool");
    FZ_CHECK(invite_token_hash(fz_pool, NULL) == NULL, "NULL token");

    /* equal is exactly string equality, NULL never equal */
    FZ_CHECK(invite_token_hash_equal(f[0], other)
                 == (other && !strcmp(f[0], other)), f[0]);
    FZ_CHECK(invite_token_hash_equal(f[0], f[0]), f[0]);
    FZ_CHECK(!invite_token_hash_equal(NULL, f[0])
                 && !invite_token_hash_equal(f[0], NULL), f[0]);

    /* in_list against the plain split, for the token, the other field and
     * the hash */
    FZ_CHECK(invite_token_hash_in_list(f[0], list) == in_list_ref(f[0], list),
             f[0]);
    if (other)
        FZ_CHECK(invite_token_hash_in_list(other, list)
                     == in_list_ref(other, list), other);
    FZ_CHECK(invite_token_hash_in_list(h, list) == in_list_ref(h, list), h);
    FZ_CHECK(!invite_token_hash_in_list(NULL, list)
                 && !invite_token_hash_in_list(h, NULL), h);

    /* a list holding the hash anywhere finds it */
    if (list) {
        const char *lists[] = {
            apr_pstrcat(fz_pool, h, " ", list, NULL),
            apr_pstrcat(fz_pool, list, " ", h, NULL),
            apr_pstrcat(fz_pool, "  ", list, " ", h, "  ", list, NULL),
        };

        for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
            FZ_CHECK(invite_token_hash_in_list(h, lists[i]), lists[i]);
    }
    FZ_CHECK(invite_token_hash_in_list(h, h), h);
    fz_done();
    return 0;
}
