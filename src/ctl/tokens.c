/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tokens.c - invitectl token (src/ctl/ctl.h): personal access tokens,
 * printed once when made and stored only as base64(SHA-256(token)).
 */
#include <stdio.h>
#include <string.h>

#include <apr_base64.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <openssl/crypto.h>

#include "invite_core.h"
#include "ctl.h"

#define CTL_TOKEN_BYTES 32     /* 43 characters, as Random.secret() */

/* A new personal access token: 32 random bytes in unpadded base64url (43
 * characters, the shape of Rocket.Chat's Random.secret()). */
static char *ctl_new_token(apr_pool_t *p)
{
    unsigned char raw[CTL_TOKEN_BYTES];
    char *tok, *c;

    if (apr_generate_random_bytes(raw, sizeof(raw)) != APR_SUCCESS) {
        return NULL;
    }
    tok = apr_palloc(p, apr_base64_encode_len(sizeof(raw)));
    apr_base64_encode(tok, (const char *)raw, sizeof(raw));
    OPENSSL_cleanse(raw, sizeof(raw));
    for (c = tok; *c; c++) {
        if (*c == '+') {
            *c = '-';
        }
        else if (*c == '/') {
            *c = '_';
        }
        else if (*c == '=') {
            *c = '\0';
        }
    }
    return tok;
}

enum { TOKEN_ALL, TOKEN_ID, TOKEN_NAME };

static const ctl_option_t token_options[] = {
    [TOKEN_ALL] = { "--all", 0 },
    [TOKEN_ID] = { "--id", 0 },
    [TOKEN_NAME] = { "--name", 0 },
    { NULL, 0 }
};

static int cmd_token(ctl_db_t *db, apr_array_header_t *args,
                     apr_array_header_t **opts)
{
    const char *sub = args->nelts ? APR_ARRAY_IDX(args, 0, const char *) : "";
    const char *a[2];
    int nrows, all = opts[TOKEN_ALL]->nelts > 0;
    int revoke = !strcmp(sub, "revoke");
    ctl_by_e by = CTL_BY_EITHER;

    if (ctl_by(db->pool, "token", opts[TOKEN_ID], opts[TOKEN_NAME], &by)
        != CTL_OK) {
        return CTL_USAGE;
    }
    if (all && !revoke) {
        return ctl_usage_error(db->pool, "token", "--all goes with 'token"
                               " revoke'");
    }
    if (!(revoke ? args->nelts == (all ? 2 : 3)
                 : args->nelts == 2 && (!strcmp(sub, "add")
                                        || !strcmp(sub, "list")))) {
        return ctl_usage_error(db->pool, "token", "bad 'token' arguments");
    }
    if (ctl_text(db->pool, "token", "user",
                 APR_ARRAY_IDX(args, 1, const char *), CTL_NAME_MAX)
        || ctl_text(db->pool, "token", "hash", args->nelts > 2
                    ? APR_ARRAY_IDX(args, 2, const char *) : NULL,
                    CTL_NAME_MAX)) {
        return CTL_USAGE;
    }
    if (!(a[0] = ctl_connect_find(db, INVITE_ADMIN_USER_FIND, args, 1, by))) {
        return CTL_FAIL;
    }
    if (!strcmp(sub, "add")) {
        char *tok = ctl_new_token(db->pool);
        int ok;

        if (!tok || invite_token_init(db->pool) != APR_SUCCESS
            || !(a[1] = invite_token_hash(db->pool, tok))) {
            return ctl_fail(db->pool, "cannot make a token");
        }
        ok = ctl_query(db, INVITE_ADMIN_TOKEN_ADD, &nrows, 2, a);
        if (ok == CTL_OK && nrows == 1) {
            printf("%s\n", tok);
        }
        else if (ok == CTL_OK) {
            ok = ctl_fail(db->pool, "the new token's hash already exists");
        }
        OPENSSL_cleanse(tok, strlen(tok));
        return ok;
    }
    if (revoke) {
        if (all) {
            return ctl_query(db, INVITE_ADMIN_TOKEN_REVOKE_ALL, &nrows, 1, a);
        }
        a[1] = APR_ARRAY_IDX(args, 2, const char *);
        if (ctl_query(db, INVITE_ADMIN_TOKEN_REVOKE, &nrows, 2, a) != CTL_OK) {
            return CTL_FAIL;
        }
        return nrows ? CTL_OK
                     : ctl_fail(db->pool, "the user has no token with that"
                                " hash");
    }
    {
        apr_dbd_results_t *res;
        apr_dbd_row_t *row = NULL;

        if (ctl_select(db, INVITE_ADMIN_TOKEN_LIST, &res, 1, a) != CTL_OK) {
            return CTL_FAIL;
        }
        while (ctl_row(db, res, &row)) {
            const char *when = ctl_col(db, row, 1);
            printf("%s\t%s\n", ctl_col(db, row, 0), when ? when : "-");
        }
    }
    return CTL_OK;
}

const ctl_command_t ctl_cmd_token = {
    "token", token_options, cmd_token,
    "token add [--id|--name] USER\n"
    "       token revoke [--id|--name] USER (HASH | --all)\n"
    "       token list [--id|--name] USER",
    "`token add` creates a personal access token (no expiry), prints it\n"
    "once and stores only base64(SHA-256(token)).  `token list` prints\n"
    "the stored hashes with their creation time (ms; - for personal\n"
    "access tokens); `token revoke` deletes one by hash, or all.  USER,\n"
    "--id and --name: as for `user`.\n"
};
