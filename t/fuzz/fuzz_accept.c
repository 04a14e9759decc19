
/*
 * An Accept header value: ngx_http_push_approval_accept_html() (headers.c),
 * which decides whether a client gets the approval page or JSON/problem
 * answers (docs/flow.md, The requester's three answers).  Its budget is
 * the first 1024 bytes, up to the last whole element.  (Sec-Fetch-Dest and
 * the other Sec-Fetch headers are not parsed: they are compared whole with
 * ngx_strncasecmp(), nothing to fuzz.)
 *
 * Checked: the answer is 0 or 1; 1 only when "text/html" is in the
 * budget; an empty element added at either end changes nothing; listing
 * text/html again with q=0 makes it 0 (its lowest q counts).
 */


#include "fuzz.h"


#define PA_FUZZ_ACCEPT_MAX  1024


static ngx_int_t
pa_fuzz_accept(const u_char *pre, size_t plen, const uint8_t *data,
    size_t size, const char *post)
{
    size_t      n, qlen;
    u_char     *buf;
    ngx_int_t   rc;
    ngx_str_t   value;

    qlen = ngx_strlen(post);
    n = plen + size + qlen;
    buf = pa_fuzz_dup("", n);

    ngx_memcpy(buf, pre, plen);
    if (size) {
        ngx_memcpy(buf + plen, data, size);
    }
    ngx_memcpy(buf + plen + size, post, qlen);

    value.data = buf;
    value.len = n;

    rc = ngx_http_push_approval_accept_html(&value);
    free(buf);

    return rc;
}


static ngx_uint_t
pa_fuzz_has_html(const uint8_t *data, size_t size)
{
    size_t  i;

    for (i = 0; i + 9 <= size; i++) {
        if (ngx_strncasecmp((u_char *) data + i, (u_char *) "text/html", 9)
            == 0)
        {
            return 1;
        }
    }

    return 0;
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
    ngx_int_t  rc;
    ngx_str_t  value;

    value.data = (u_char *) data;
    value.len = size;

    rc = ngx_http_push_approval_accept_html(&value);

    PA_CHECK(rc == 0 || rc == 1);

    if (rc == 1) {
        PA_CHECK(pa_fuzz_has_html(data,
                                  ngx_min(size, PA_FUZZ_ACCEPT_MAX)));
    }

    if (size + 32 <= PA_FUZZ_ACCEPT_MAX) {
        PA_CHECK(pa_fuzz_accept((u_char *) "", 0, data, size, ",") == rc);
        PA_CHECK(pa_fuzz_accept((u_char *) ", ", 2, data, size, "") == rc);
        PA_CHECK(pa_fuzz_accept((u_char *) "", 0, data, size,
                                ",text/html;q=0")
                 == 0);
    }

    return 0;
}
