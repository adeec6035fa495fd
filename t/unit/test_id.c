/* SPDX-License-Identifier: Apache-2.0 */
/* test_id.c - invite ids: shape, alphabet, uniformity, validation. */
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "invite_core.h"
#include "tap.h"

#define DRAWS 20000
#define NSYM ((int)(sizeof(INVITE_ID_ALPHABET) - 1))

int main(void)
{
    apr_pool_t *pool;
    char id[INVITE_ID_LEN + 1], other[INVITE_ID_LEN + 1];
    long counts[NSYM];
    int i, j, all_ok = 1, all_valid = 1, min_i, max_i;
    long total = 0;
    double expect;

    apr_initialize();
    apr_pool_create(&pool, NULL);

    is_int(NSYM, 55, "alphabet has 55 symbols");
    ok(strpbrk(INVITE_ID_ALPHABET, "01IOUVl") == NULL,
       "alphabet has none of 0 1 I O U V l");

    memset(id, 'x', sizeof(id));
    is_int(invite_id_generate(id), APR_SUCCESS, "generate succeeds");
    is_int(strlen(id), INVITE_ID_LEN, "id has 6 characters");
    ok(strspn(id, INVITE_ID_ALPHABET) == INVITE_ID_LEN,
       "every character is in the alphabet");
    ok(invite_id_is_valid(id), "a generated id is valid");

    /* Many draws: every symbol appears and none is grossly over- or
     * under-represented.  Expected count per symbol is 20000*6/55 ~ 2182 with
     * a standard deviation ~ 46; +-15% is ~7 sigma, so this never flakes. */
    memset(counts, 0, sizeof(counts));
    for (i = 0; i < DRAWS; ++i) {
        if (invite_id_generate(id) != APR_SUCCESS
            || strlen(id) != INVITE_ID_LEN) {
            all_ok = 0;
            break;
        }
        if (!invite_id_is_valid(id))
            all_valid = 0;
        for (j = 0; j < INVITE_ID_LEN; ++j) {
            const char *at = strchr(INVITE_ID_ALPHABET, id[j]);
            if (at == NULL) {
                all_valid = 0;
                continue;
            }
            ++counts[at - INVITE_ID_ALPHABET];
            ++total;
        }
    }
    ok(all_ok, "20000 draws succeed with 6 characters each");
    ok(all_valid, "20000 draws are all valid");
    is_int(total, (long)DRAWS * INVITE_ID_LEN, "all drawn characters counted");

    expect = (double)total / NSYM;
    min_i = max_i = 0;
    for (j = 0; j < NSYM; ++j) {
        if (counts[j] < counts[min_i])
            min_i = j;
        if (counts[j] > counts[max_i])
            max_i = j;
    }
    ok(counts[min_i] > 0, "all 55 symbols occur");
    ok(counts[min_i] > expect * 0.85,
       "rarest symbol within 15% of the expected count");
    ok(counts[max_i] < expect * 1.15,
       "commonest symbol within 15% of the expected count");
    if (counts[min_i] <= expect * 0.85 || counts[max_i] >= expect * 1.15)
        printf("# expected %.0f, min '%c' %ld, max '%c' %ld\n", expect,
               INVITE_ID_ALPHABET[min_i], counts[min_i],
               INVITE_ID_ALPHABET[max_i], counts[max_i]);

    /* Plain byte % 55 would favour the first 256 % 55 = 36 symbols by 5:4.
     * Compare their mean count with the other 19 (noise ~0.6%). */
    {
        double lo = 0, hi = 0, ratio;

        for (j = 0; j < NSYM; ++j) {
            if (j < 256 % NSYM)
                lo += counts[j];
            else
                hi += counts[j];
        }
        ratio = (lo / (256 % NSYM)) / (hi / (NSYM - 256 % NSYM));
        ok(ratio > 0.95 && ratio < 1.05, "no modulo bias towards low symbols");
        if (!(ratio > 0.95 && ratio < 1.05))
            printf("# low/high mean ratio %.3f\n", ratio);
    }

    /* The first and last symbols: an off-by-one in the mapping would starve
     * one of them. */
    ok(counts[0] > 0 && counts[NSYM - 1] > 0, "'2' and 'z' both occur");

    invite_id_generate(id);
    invite_id_generate(other);
    ok(strcmp(id, other) != 0, "two draws differ");

    /* InviteIdLength: any length up to the maximum, same alphabet. */
    {
        char longer[INVITE_ID_MAX_LEN + 1];
        int n;
        for (n = 1; n <= INVITE_ID_MAX_LEN; n++) {
            if (invite_id_generate_len(longer, n) != APR_SUCCESS
                || (int)strlen(longer) != n
                || (int)strspn(longer, INVITE_ID_ALPHABET) != n) {
                break;
            }
        }
        is_int(n, INVITE_ID_MAX_LEN + 1, "lengths 1 to 64: that many symbols");
        is_int(invite_id_generate_len(longer, 0), APR_EINVAL, "length 0 refused");
        is_str(longer, "", "and leaves an empty string");
        is_int(invite_id_generate_len(longer, INVITE_ID_MAX_LEN + 1), APR_EINVAL,
               "length 65 refused");
    }

    /* Validation. */
    ok(invite_id_is_valid("z6ag6J"), "z6ag6J is valid");
    ok(invite_id_is_valid("kDKQ3H"), "kDKQ3H is valid");
    ok(invite_id_is_valid("99ScEP"), "99ScEP is valid");
    ok(invite_id_is_valid("222222"), "first symbol only is valid");
    ok(invite_id_is_valid("zzzzzz"), "last symbol only is valid");
    ok(!invite_id_is_valid(NULL), "NULL is invalid");
    ok(!invite_id_is_valid(""), "empty is invalid");
    ok(!invite_id_is_valid("z6ag6"), "5 characters are invalid");
    ok(!invite_id_is_valid("z6ag6JJ"), "7 characters are invalid");
    ok(!invite_id_is_valid("z6ag60"), "'0' is invalid");
    ok(!invite_id_is_valid("z6ag61"), "'1' is invalid");
    ok(!invite_id_is_valid("z6agl6"), "'l' is invalid");
    ok(!invite_id_is_valid("Iz6ag6"), "'I' is invalid");
    ok(!invite_id_is_valid("z6ag6O"), "'O' is invalid");
    ok(!invite_id_is_valid("z6Uag6"), "'U' is invalid");
    ok(!invite_id_is_valid("z6Vag6"), "'V' is invalid");
    ok(!invite_id_is_valid("z6ag-J"), "'-' is invalid");
    ok(!invite_id_is_valid("z6 g6J"), "space is invalid");
    ok(!invite_id_is_valid("z6a\xc3\xa9J"), "non-ASCII is invalid");
    ok(!invite_id_is_valid("../../"), "path characters are invalid");

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
