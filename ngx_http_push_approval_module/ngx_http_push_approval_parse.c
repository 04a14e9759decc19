
/*
 * ngx_http_push_approval_module: values a client sends, strictly decoded:
 * base64url, approval ids, and the fields of a form body.
 *
 * Everything here is pure (no I/O, no shared memory) and bounded, so that
 * it can be unit-tested and fuzzed apart from the rest of the module.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_parse.h"


static ssize_t ngx_http_push_approval_form_decode(u_char *dst, u_char *src,
    size_t len, size_t cap);


/* base64url values; 64: not in the alphabet */
static const u_char  ngx_http_push_approval_b64url_map[256] = {
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 62, 64, 64,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 64, 64, 64, 64, 64, 64,
    64,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 64, 64, 64, 64, 63,
    64, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64
};


/*
 * base64url without padding.  The caller gives dst->data with room for
 * ngx_base64_encoded_length(src->len) bytes (encode) or
 * ngx_base64_decoded_length(src->len) bytes (decode).
 */

void
ngx_http_push_approval_b64url_encode(ngx_str_t *dst, ngx_str_t *src)
{
    ngx_encode_base64url(dst, src);
}


/*
 * Strict: only the 64 URL-safe characters, no padding, no length that
 * leaves a single character, and the unused low bits of the last
 * character must be zero, so that every byte string has exactly one
 * accepted encoding.  One pass: a cookie is decoded on every request.
 */

ngx_int_t
ngx_http_push_approval_b64url_decode(ngx_str_t *dst, ngx_str_t *src)
{
    u_char      *d, *s, *last;
    size_t       rest;
    ngx_uint_t   a, b, c, e;

    rest = src->len % 4;

    if (rest == 1) {
        return NGX_ERROR;
    }

    s = src->data;
    last = s + src->len - rest;
    d = dst->data;

    /* 64 marks a byte outside the alphabet: any OR of values is then > 63 */

    while (s < last) {
        a = ngx_http_push_approval_b64url_map[s[0]];
        b = ngx_http_push_approval_b64url_map[s[1]];
        c = ngx_http_push_approval_b64url_map[s[2]];
        e = ngx_http_push_approval_b64url_map[s[3]];

        if ((a | b | c | e) > 63) {
            return NGX_ERROR;
        }

        *d++ = (u_char) (a << 2 | b >> 4);
        *d++ = (u_char) (b << 4 | c >> 2);
        *d++ = (u_char) (c << 6 | e);

        s += 4;
    }

    if (rest) {
        a = ngx_http_push_approval_b64url_map[s[0]];
        b = ngx_http_push_approval_b64url_map[s[1]];
        c = (rest == 3) ? ngx_http_push_approval_b64url_map[s[2]] : 0;

        if ((a | b | c) > 63
            || (rest == 2 && (b & 0x0f))
            || (rest == 3 && (c & 0x03)))
        {
            return NGX_ERROR;
        }

        *d++ = (u_char) (a << 2 | b >> 4);

        if (rest == 3) {
            *d++ = (u_char) (b << 4 | c >> 2);
        }
    }

    dst->len = d - dst->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_push_approval_parse_id(ngx_str_t *text, u_char *id)
{
    u_char     buf[NGX_HTTP_PUSH_APPROVAL_ID_BYTES + 2];
    ngx_str_t  dst;

    if (text->len != NGX_HTTP_PUSH_APPROVAL_ID_LEN) {
        return NGX_ERROR;
    }

    dst.data = buf;

    if (ngx_http_push_approval_b64url_decode(&dst, text) != NGX_OK
        || dst.len != NGX_HTTP_PUSH_APPROVAL_ID_BYTES)
    {
        return NGX_ERROR;
    }

    ngx_memcpy(id, buf, NGX_HTTP_PUSH_APPROVAL_ID_BYTES);

    return NGX_OK;
}


/*
 * One field of an application/x-www-form-urlencoded body (at most
 * NGX_HTTP_PUSH_APPROVAL_FORM_MAX bytes, else NGX_ERROR).  Names are
 * compared after decoding, exactly.  The value is decoded ("+" and %XX)
 * into the caller's buffer: on entry value->data is the buffer and
 * value->len its size; on NGX_OK value->len is the decoded length.
 * NGX_DECLINED: no such field; NGX_ERROR: the field is given twice, a
 * malformed %-escape anywhere, or a value longer than the buffer.
 */

ngx_int_t
ngx_http_push_approval_form_value(ngx_str_t *body, const char *name,
    ngx_str_t *value)
{
    u_char     *p, *last, *end, *eq;
    size_t      len, cap;
    ssize_t     n;
    ngx_uint_t  found;
    u_char      key[NGX_HTTP_PUSH_APPROVAL_FORM_MAX];

    if (body->len > NGX_HTTP_PUSH_APPROVAL_FORM_MAX) {
        return NGX_ERROR;
    }

    len = ngx_strlen(name);
    cap = value->len;
    found = 0;

    if (body->len == 0) {
        return NGX_DECLINED;
    }

    p = body->data;
    last = p + body->len;

    while (p < last) {
        end = ngx_strlchr(p, last, '&');
        if (end == NULL) {
            end = last;
        }

        eq = ngx_strlchr(p, end, '=');
        if (eq == NULL) {
            eq = end;
        }

        n = ngx_http_push_approval_form_decode(key, p, eq - p, sizeof(key));
        if (n == -1) {
            return NGX_ERROR;
        }

        p = (eq < end) ? eq + 1 : end;

        if ((size_t) n == len && ngx_memcmp(key, name, len) == 0) {

            if (found) {
                return NGX_ERROR;
            }

            found = 1;

            n = ngx_http_push_approval_form_decode(value->data, p, end - p,
                                                   cap);
            value->len = (n == -1) ? 0 : n;

        } else {
            /* only to check it */
            n = ngx_http_push_approval_form_decode(key, p, end - p,
                                                   sizeof(key));
        }

        if (n == -1) {
            return NGX_ERROR;
        }

        p = (end < last) ? end + 1 : last;
    }

    return found ? NGX_OK : NGX_DECLINED;
}


static ssize_t
ngx_http_push_approval_form_decode(u_char *dst, u_char *src, size_t len,
    size_t cap)
{
    u_char     *d, *last;
    ngx_int_t   c;

    d = dst;
    last = src + len;

    while (src < last) {

        if ((size_t) (d - dst) == cap) {
            return -1;
        }

        if (*src == '+') {
            *d++ = ' ';
            src++;
            continue;
        }

        if (*src != '%') {
            *d++ = *src++;
            continue;
        }

        if (last - src < 3) {
            return -1;
        }

        c = ngx_hextoi(src + 1, 2);
        if (c == NGX_ERROR) {
            return -1;
        }

        *d++ = (u_char) c;
        src += 3;
    }

    return d - dst;
}
