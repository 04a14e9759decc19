
/*
 * The pending secret of a two-step challenge (Push-Approval-Pending header
 * or the pa_pending_{id} cookie) with the id of its wait URL
 * (/_pa/wait/{id}), as "{id}.{secret}": the id through
 * ngx_http_push_approval_parse_id(), the secret through
 * ngx_http_push_approval_check_pending(), as the wait endpoint does
 * (wait.c).  An input that is not "{22-character id}." checks the whole
 * input as a secret for a fixed id.
 *
 * Checked: a secret is accepted exactly when it is the pending secret of
 * that id under one of the keys, and never as a decision token.
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
    u_char       want[2][NGX_HTTP_PUSH_APPROVAL_TOKEN_LEN + 1];
    ngx_int_t    rc;
    ngx_str_t    secret;
    ngx_uint_t   j, kind, match;

    id = pa_fuzz_dup("", NGX_HTTP_PUSH_APPROVAL_ID_BYTES);

    if (pa_fuzz_split_id(data, size, id, &secret) != NGX_OK) {
        ngx_memcpy(id, pa_fuzz_fixed_id, NGX_HTTP_PUSH_APPROVAL_ID_BYTES);
        secret.data = (u_char *) data;
        secret.len = size;
    }

    rc = ngx_http_push_approval_check_pending(&pa_fuzz_ring, id, &secret);
    PA_CHECK(rc == NGX_OK || rc == NGX_DECLINED);

    match = 0;

    for (j = 0; j < 2; j++) {
        ngx_http_push_approval_pending_secret(&pa_fuzz_ring.keys[j], id,
                                              want[j]);
        if (secret.len == NGX_HTTP_PUSH_APPROVAL_TOKEN_LEN
            && ngx_memcmp(secret.data, want[j], secret.len) == 0)
        {
            match = 1;
        }
    }

    PA_CHECK((rc == NGX_OK) == match);

    if (rc == NGX_OK) {
        /* a pending secret decides nothing */
        for (kind = 0; kind < 3; kind++) {
            PA_CHECK(ngx_http_push_approval_check_token(&pa_fuzz_ring, id,
                                                        kind, &secret)
                     != NGX_OK);
        }
    }

    free(id);

    return 0;
}
