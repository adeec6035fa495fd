/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_id.c - invite ids, Meteor's Random.id(6) over UNMISTAKABLE_CHARS
 * (or longer, InviteIdLength).
 *
 * The id is the invite token itself (docs/api.md#find-create), so it comes
 * from the OS CSPRNG and every symbol must be equally likely.
 */
#include <string.h>

#include <apr_general.h>

#include "invite_core.h"

#define ALPHABET_LEN ((int)(sizeof(INVITE_ID_ALPHABET) - 1))

/* Largest multiple of the alphabet size that fits in a byte (4 * 55 = 220):
 * bytes at or above it are discarded so that byte % 55 is uniform. */
#define ACCEPT_LIMIT ((256 / ALPHABET_LEN) * ALPHABET_LEN)

apr_status_t invite_id_generate(char out[INVITE_ID_LEN + 1])
{
    return invite_id_generate_len(out, INVITE_ID_LEN);
}

apr_status_t invite_id_generate_len(char *out, int len)
{
    /* One batch almost always suffices for 6 symbols (each byte is kept
     * with p = 220/256, so 16 bytes yield 6 except with p ~1e-6). */
    unsigned char buf[16];
    int filled = 0;

    if (len < 1 || len > INVITE_ID_MAX_LEN) {
        out[0] = '\0';
        return APR_EINVAL;
    }
    while (filled < len) {
        apr_size_t i;
        apr_status_t rv = apr_generate_random_bytes(buf, sizeof(buf));

        if (rv != APR_SUCCESS) {
            out[0] = '\0';
            return rv;
        }
        for (i = 0; i < sizeof(buf) && filled < len; ++i) {
            if (buf[i] < ACCEPT_LIMIT)
                out[filled++] = INVITE_ID_ALPHABET[buf[i] % ALPHABET_LEN];
        }
    }
    out[len] = '\0';
    /* The bytes became part of a secret; do not leave them on the stack. */
    memset(buf, 0, sizeof(buf));
    return APR_SUCCESS;
}

int invite_id_is_valid(const char *s)
{
    int i;

    if (s == NULL)
        return 0;
    for (i = 0; i < INVITE_ID_LEN; ++i) {
        /* s[i] == '\0' means too short; strchr would match the terminator. */
        if (s[i] == '\0' || strchr(INVITE_ID_ALPHABET, s[i]) == NULL)
            return 0;
    }
    return s[INVITE_ID_LEN] == '\0';
}
