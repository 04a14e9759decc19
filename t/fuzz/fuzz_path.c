
/*
 * The signed return path of a wait URL, /_pa/wait/{id}?r={signed}, as
 * "{id}.{signed}": ngx_http_push_approval_verify_path() (keys.c), as the
 * wait endpoint calls it (wait.c), with memory from an nginx pool (built
 * with NGX_DEBUG_PALLOC: every allocation its own malloc, which ASan
 * guards).  An input that is not "{22-character id}." verifies the whole
 * input for a fixed id.
 *
 * Checked: an accepted path is a path on this server ("/x", never "//x"
 * or "/\x", no control characters, spaces or DEL) and the input is exactly
 * what ngx_http_push_approval_sign_path() makes of it with one of the
 * keys; whatever path the value carries, signing it and verifying the
 * result accepts it exactly when it is such a path.
 */


#include "fuzz.h"


static u_char  pa_fuzz_fixed_id[NGX_HTTP_PUSH_APPROVAL_ID_BYTES] =
    "fuzz-fixed-id-16";


static ngx_uint_t
pa_fuzz_local_path(ngx_str_t *path)
{
    size_t  i;

    if (path->len == 0 || path->data[0] != '/'
        || (path->len > 1 && (path->data[1] == '/' || path->data[1] == '\\')))
    {
        return 0;
    }

    for (i = 0; i < path->len; i++) {
        if (path->data[i] < 0x21 || path->data[i] == 0x7f) {
            return 0;
        }
    }

    return 1;
}


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    pa_fuzz_init();
    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char      *id, *dot;
    ngx_int_t    rc;
    ngx_str_t    value, path, b64, raw, out, back;
    ngx_uint_t   j, match;
    ngx_pool_t  *pool;

    id = pa_fuzz_dup("", NGX_HTTP_PUSH_APPROVAL_ID_BYTES);

    if (pa_fuzz_split_id(data, size, id, &value) != NGX_OK) {
        ngx_memcpy(id, pa_fuzz_fixed_id, NGX_HTTP_PUSH_APPROVAL_ID_BYTES);
        value.data = (u_char *) data;
        value.len = size;
    }

    pool = pa_fuzz_pool();

    ngx_str_null(&path);
    rc = ngx_http_push_approval_verify_path(&pa_fuzz_ring, id, &value, pool,
                                            &path);
    PA_CHECK(rc == NGX_OK || rc == NGX_DECLINED);

    if (rc == NGX_OK) {
        PA_CHECK(pa_fuzz_local_path(&path));

        match = 0;
        for (j = 0; j < pa_fuzz_ring.nkeys; j++) {
            PA_CHECK(ngx_http_push_approval_sign_path(&pa_fuzz_ring.keys[j],
                                                      id, &path, pool, &out)
                     == NGX_OK);
            if (out.len == value.len
                && ngx_memcmp(out.data, value.data, out.len) == 0)
            {
                match = 1;
            }
        }

        PA_CHECK(match);
    }

    /* the path the value carries, signed here, then verified */

    dot = (value.len <= 4096) ? memchr(value.data, '.', value.len) : NULL;

    if (dot) {
        b64.data = value.data;
        b64.len = dot - value.data;
        raw.data = ngx_pnalloc(pool, ngx_base64_decoded_length(b64.len) + 1);
        PA_CHECK(raw.data != NULL);

        if (ngx_http_push_approval_b64url_decode(&raw, &b64) == NGX_OK) {
            PA_CHECK(ngx_http_push_approval_sign_path(&pa_fuzz_ring.keys[0],
                                                      id, &raw, pool, &out)
                     == NGX_OK);

            rc = (out.len <= 4096)
                 ? ngx_http_push_approval_verify_path(&pa_fuzz_ring, id, &out,
                                                      pool, &back)
                 : NGX_DECLINED;

            if (out.len <= 4096) {
                PA_CHECK((rc == NGX_OK) == pa_fuzz_local_path(&raw));
            }

            if (rc == NGX_OK) {
                PA_CHECK(back.len == raw.len
                         && ngx_memcmp(back.data, raw.data, raw.len) == 0);
            }
        }
    }

    ngx_destroy_pool(pool);
    free(id);

    return 0;
}
