/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_token.c - Rocket.Chat's stored login-token form
 * (docs/api.md#authentication): Accounts._hashLoginToken =
 * base64(SHA-256(utf8(token))), standard padded base64, 44 characters.
 * Tokens are secrets: never log them.
 */
#include <string.h>

#include <apr_base64.h>
#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "invite_core.h"

/* OpenSSL 3 looks the digest up by name on every EVP_sha256() use unless
 * it is fetched once: invite_token_init() does, for the process's life. */
static EVP_MD *sha256_md;

static apr_status_t free_sha256(void *data)
{
    (void)data;
    EVP_MD_free(sha256_md);
    sha256_md = NULL;
    return APR_SUCCESS;
}

apr_status_t invite_token_init(apr_pool_t *p)
{
    if (sha256_md)
        return APR_SUCCESS;
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!sha256_md)
        return APR_EGENERAL;
    apr_pool_cleanup_register(p, NULL, free_sha256, apr_pool_cleanup_null);
    return APR_SUCCESS;
}

int invite_sha256(const void *data, apr_size_t len,
                  unsigned char md[INVITE_SHA256_LEN])
{
    unsigned int mdlen = 0;

    return EVP_Digest(data, len, md, &mdlen,
                      sha256_md ? sha256_md : EVP_sha256(), NULL) == 1
           && mdlen == INVITE_SHA256_LEN;
}

const char *invite_token_hash(apr_pool_t *p, const char *token)
{
    unsigned char md[INVITE_SHA256_LEN];
    char *out;

    if (p == NULL || token == NULL)
        return NULL;
    /* The header value's bytes are hashed as is: for UTF-8 input this is
     * exactly what Node does with a JS string. */
    if (!invite_sha256(token, strlen(token), md))
        return NULL;

    /* apr_base64_encode_len counts the terminating NUL (45 for 32 bytes). */
    out = apr_palloc(p, apr_base64_encode_len((int)sizeof(md)));
    apr_base64_encode(out, (const char *)md, (int)sizeof(md));
    OPENSSL_cleanse(md, sizeof(md));
    return out;
}

int invite_token_hash_equal(const char *a, const char *b)
{
    size_t la, lb;

    if (a == NULL || b == NULL)
        return 0;
    la = strlen(a);
    lb = strlen(b);
    /* Hashes have a fixed public length, so comparing lengths first leaks
     * nothing; the content comparison is constant time. */
    if (la != lb)
        return 0;
    return CRYPTO_memcmp(a, b, la) == 0;
}

int invite_token_hash_in_list(const char *hash, const char *list)
{
    size_t hl;
    int found = 0;

    if (hash == NULL || list == NULL)
        return 0;
    hl = strlen(hash);
    /* Skip leading spaces too, so no entry is empty: "" is in no list. */
    list += strspn(list, " ");
    while (*list) {
        size_t n = strcspn(list, " ");
        /* Entry lengths are public (every stored hash has the same one). */
        if (n == hl)
            found |= CRYPTO_memcmp(list, hash, hl) == 0;
        list += n;
        list += strspn(list, " ");
    }
    return found;
}
