
/*
 * An application/x-www-form-urlencoded body, as the approve endpoint reads
 * it (approve.c): ngx_http_push_approval_form_value() for "decision" and
 * "code", each into a 16-byte buffer (an exact heap buffer here).
 *
 * Checked against a reference written from the function's comment
 * (parse.c): at most NGX_HTTP_PUSH_APPROVAL_FORM_MAX bytes; fields split on
 * '&', name and value on the first '='; "+" is a space and %XX a byte;
 * NGX_ERROR for a malformed %-escape anywhere, a name given twice or a
 * value longer than the buffer; NGX_DECLINED when absent; else NGX_OK and
 * the decoded value.
 */


#include "fuzz.h"


#define PA_FUZZ_FORM_CAP  16


static int
pa_fuzz_hex(u_char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


/* decodes src[0..len) into dst (cap bytes); -1: malformed or too long */

static ssize_t
pa_fuzz_decode(u_char *dst, size_t cap, const u_char *src, size_t len)
{
    size_t  i, n;
    int     h, l;

    n = 0;

    for (i = 0; i < len; n++) {
        if (n == cap) {
            return -1;
        }

        if (src[i] == '%') {
            if (len - i < 3) {
                return -1;
            }

            h = pa_fuzz_hex(src[i + 1]);
            l = pa_fuzz_hex(src[i + 2]);

            if (h < 0 || l < 0) {
                return -1;
            }

            dst[n] = (u_char) (h * 16 + l);
            i += 3;

        } else {
            dst[n] = (src[i] == '+') ? ' ' : src[i];
            i++;
        }
    }

    return n;
}


static ngx_int_t
pa_fuzz_reference(const u_char *body, size_t size, const char *name,
    u_char *value, size_t *vlen)
{
    u_char        key[NGX_HTTP_PUSH_APPROVAL_FORM_MAX];
    u_char        scratch[NGX_HTTP_PUSH_APPROVAL_FORM_MAX];
    size_t        start, end, eq, nlen;
    ssize_t       k, v;
    ngx_uint_t    found;

    if (size > NGX_HTTP_PUSH_APPROVAL_FORM_MAX) {
        return NGX_ERROR;
    }

    nlen = ngx_strlen(name);
    found = 0;
    start = 0;

    while (start < size) {
        for (end = start; end < size && body[end] != '&'; end++) {
            /* void */
        }

        for (eq = start; eq < end && body[eq] != '='; eq++) {
            /* void */
        }

        k = pa_fuzz_decode(key, sizeof(key), body + start, eq - start);
        if (k < 0) {
            return NGX_ERROR;
        }

        if (eq < end) {
            eq++;
        }

        if ((size_t) k == nlen && ngx_memcmp(key, name, nlen) == 0) {
            if (found) {
                return NGX_ERROR;
            }

            found = 1;
            v = pa_fuzz_decode(value, PA_FUZZ_FORM_CAP, body + eq, end - eq);
            *vlen = (v < 0) ? 0 : (size_t) v;

        } else {
            v = pa_fuzz_decode(scratch, sizeof(scratch), body + eq, end - eq);
        }

        if (v < 0) {
            return NGX_ERROR;
        }

        start = end + 1;
    }

    return found ? NGX_OK : NGX_DECLINED;
}


static void
pa_fuzz_field(const uint8_t *data, size_t size, const char *name)
{
    u_char      *buf, ref[PA_FUZZ_FORM_CAP];
    size_t       rlen;
    ngx_int_t    rc, want;
    ngx_str_t    body, value;

    body.data = (u_char *) data;
    body.len = size;

    buf = pa_fuzz_dup("", PA_FUZZ_FORM_CAP);
    value.data = buf;
    value.len = PA_FUZZ_FORM_CAP;

    rc = ngx_http_push_approval_form_value(&body, name, &value);

    rlen = 0;
    want = pa_fuzz_reference(data, size, name, ref, &rlen);

    if (rc != want) {
        fprintf(stderr, "form_value(\"%s\") = %d, reference %d\n",
                name, (int) rc, (int) want);
    }

    PA_CHECK(rc == want);

    if (rc == NGX_OK) {
        PA_CHECK(value.data == buf && value.len <= PA_FUZZ_FORM_CAP);
        PA_CHECK(value.len == rlen && ngx_memcmp(buf, ref, rlen) == 0);
    }

    free(buf);
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
    pa_fuzz_field(data, size, "decision");
    pa_fuzz_field(data, size, "code");

    return 0;
}
