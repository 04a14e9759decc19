
/*
 * A decision token, as the tail of an approve URL: "{id}.{token}" (the
 * Bearer form gives the same two values).  As the approve endpoint does
 * (approve.c): the id through ngx_http_push_approval_parse_id(), then
 * ngx_http_push_approval_check_token() for each kind, approve-or-deny,
 * deny-only, one-tap approve, until one accepts.  An input that is not
 * "{22-character id}." checks the whole input as a token for a fixed id.
 *
 * Checked: a token is accepted for a kind exactly when it is that kind's
 * token of that id under one of the keys (a deny-only token never passes
 * as approve-or-deny, nor the reverse), and the tokens the module mints
 * are 43 characters and accepted for their own kind only.
 */


#include "fuzz.h"


static u_char  pa_fuzz_fixed_id[NGX_HTTP_PUSH_APPROVAL_ID_BYTES] =
    "fuzz-fixed-id-16";


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    pa_fuzz_init();
    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char      *id;
    u_char       want[3][2][NGX_HTTP_PUSH_APPROVAL_TOKEN_LEN + 1];
    ngx_str_t    token, t;
    ngx_uint_t   kind, k, j, accepted;

    id = pa_fuzz_dup("", NGX_HTTP_PUSH_APPROVAL_ID_BYTES);

    if (pa_fuzz_split_id(data, size, id, &token) != NGX_OK) {
        ngx_memcpy(id, pa_fuzz_fixed_id, NGX_HTTP_PUSH_APPROVAL_ID_BYTES);
        token.data = (u_char *) data;
        token.len = size;
    }

    /* the endpoint's loop over the kinds */

    accepted = 0;

    for (kind = NGX_HTTP_PUSH_APPROVAL_TOKEN_ANY;
         kind <= NGX_HTTP_PUSH_APPROVAL_TOKEN_TAP_APPROVE;
         kind++)
    {
        if (ngx_http_push_approval_check_token(&pa_fuzz_ring, id, kind,
                                               &token)
            == NGX_OK)
        {
            accepted |= 1 << kind;
        }
    }

    /* the oracle: the module's own tokens of this id, under both keys */

    for (k = 0; k < 3; k++) {
        for (j = 0; j < 2; j++) {
            ngx_http_push_approval_token(&pa_fuzz_ring.keys[j], id, k,
                                         want[k][j]);
        }
    }

    for (k = 0; k < 3; k++) {
        PA_CHECK(((accepted >> k) & 1)
                 == (token.len == NGX_HTTP_PUSH_APPROVAL_TOKEN_LEN
                     && (ngx_memcmp(token.data, want[k][0], token.len) == 0
                         || ngx_memcmp(token.data, want[k][1], token.len)
                            == 0)));
    }

    /* minted tokens pass for their kind and no other (once per id kind) */

    if (accepted) {
        for (k = 0; k < 3; k++) {
            t.data = want[k][0];
            t.len = NGX_HTTP_PUSH_APPROVAL_TOKEN_LEN;

            for (kind = 0; kind < 3; kind++) {
                PA_CHECK((ngx_http_push_approval_check_token(&pa_fuzz_ring,
                                                             id, kind, &t)
                          == NGX_OK)
                         == (kind == k));
            }
        }
    }

    free(id);

    return 0;
}
