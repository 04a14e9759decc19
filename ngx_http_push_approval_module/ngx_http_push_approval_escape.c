
/*
 * ngx_http_push_approval_module: escaping: well-formed UTF-8, JSON string
 * contents, HTML text and attribute values, and a copy cleaned to one
 * line of plain text.
 *
 * Everything here is pure (no I/O, no shared memory) and bounded, so that
 * it can be unit-tested and fuzzed apart from the rest of the module.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_escape.h"


static ngx_uint_t ngx_http_push_approval_is_control(uint32_t c);
static size_t ngx_http_push_approval_json_char(u_char *dst, u_char **pp,
    u_char *last);
static size_t ngx_http_push_approval_html_char(u_char *dst, u_char **pp,
    u_char *last);


static u_char  ngx_http_push_approval_hex[] = "0123456789abcdef";


/*
 * The length (1 to 4) of the well-formed UTF-8 sequence at p, its code
 * point in *cp; 0 when p does not start one: a stray continuation byte,
 * an overlong form, a surrogate, a code point above U+10FFFF or a sequence
 * cut by last.
 */

size_t
ngx_http_push_approval_utf8(u_char *p, u_char *last, uint32_t *cp)
{
    size_t    len, i;
    uint32_t  c, min;

    c = p[0];

    if (c < 0x80) {
        *cp = c;
        return 1;
    }

    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        min = 0x80;
        c &= 0x1f;

    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        min = 0x800;
        c &= 0x0f;

    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        min = 0x10000;
        c &= 0x07;

    } else {
        return 0;
    }

    if ((size_t) (last - p) < len) {
        return 0;
    }

    for (i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }

        c = (c << 6) | (p[i] & 0x3f);
    }

    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return 0;
    }

    *cp = c;

    return len;
}


/*
 * Characters that must not reach plain text: C0 and C1 controls, DEL,
 * the Unicode line and paragraph separators, and the bidirectional
 * formatting characters that can make a text read differently from what
 * it is ("Trojan Source").
 */

static ngx_uint_t
ngx_http_push_approval_is_control(uint32_t c)
{
    return c < 0x20
           || (c >= 0x7f && c <= 0x9f)
           || c == 0x200e || c == 0x200f
           || (c >= 0x2028 && c <= 0x202e)
           || (c >= 0x2066 && c <= 0x2069);
}


/*
 * JSON.  Besides what JSON requires (", \ and controls), <, >, &, ' and
 * DEL are written as \u escapes, so that the output is also safe inside
 * HTML, a <script> element or an attribute; U+2028 and U+2029 too, for
 * JavaScript parsers older than ES2019.  An ill-formed byte becomes
 * U+FFFD, written as itself: the output is then valid UTF-8 that any JSON
 * parser reads back to the same text, and escaping that text again gives
 * the same bytes, which lets an auditor rebuild a journal line from a
 * stream entry.  With dst NULL the function only counts.
 */

static size_t
ngx_http_push_approval_json_char(u_char *dst, u_char **pp, u_char *last)
{
    u_char    *p;
    size_t     n;
    uint32_t   c;

    p = *pp;
    n = ngx_http_push_approval_utf8(p, last, &c);

    if (n == 0) {
        *pp = p + 1;

        if (dst) {
            ngx_memcpy(dst, "\xef\xbf\xbd", 3);
        }

        return 3;
    }

    *pp = p + n;

    if (c == '"' || c == '\\') {
        if (dst) {
            dst[0] = '\\';
            dst[1] = (u_char) c;
        }

        return 2;
    }

    if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&'
        || c == '\'' || c == 0x2028 || c == 0x2029)
    {
        goto unicode;
    }

    if (dst) {
        ngx_memcpy(dst, p, n);
    }

    return n;

unicode:

    if (dst) {
        dst[0] = '\\';
        dst[1] = 'u';
        dst[2] = ngx_http_push_approval_hex[(c >> 12) & 0xf];
        dst[3] = ngx_http_push_approval_hex[(c >> 8) & 0xf];
        dst[4] = ngx_http_push_approval_hex[(c >> 4) & 0xf];
        dst[5] = ngx_http_push_approval_hex[c & 0xf];
    }

    return 6;
}


size_t
ngx_http_push_approval_json_len(ngx_str_t *s)
{
    u_char  *p, *last;
    size_t   len;

    if (s->len == 0) {
        return 0;   /* an empty value may have no data at all */
    }

    len = 0;
    p = s->data;
    last = p + s->len;

    while (p < last) {
        len += ngx_http_push_approval_json_char(NULL, &p, last);
    }

    return len;
}


u_char *
ngx_http_push_approval_json_escape(u_char *dst, ngx_str_t *s)
{
    u_char  *p, *last;

    if (s->len == 0) {
        return dst;
    }

    p = s->data;
    last = p + s->len;

    while (p < last) {
        dst += ngx_http_push_approval_json_char(dst, &p, last);
    }

    return dst;
}


/*
 * HTML text and quoted attribute values: & < > " ' become references,
 * control characters (as ngx_http_push_approval_is_control()) are
 * dropped, an ill-formed byte becomes U+FFFD.
 */

static size_t
ngx_http_push_approval_html_char(u_char *dst, u_char **pp, u_char *last)
{
    u_char     *p;
    size_t      n;
    uint32_t    c;
    ngx_str_t   ref;

    p = *pp;
    n = ngx_http_push_approval_utf8(p, last, &c);

    if (n == 0) {
        *pp = p + 1;
        ngx_str_set(&ref, "\xef\xbf\xbd");
        goto copy;
    }

    *pp = p + n;

    switch (c) {

    case '&':
        ngx_str_set(&ref, "&amp;");
        goto copy;

    case '<':
        ngx_str_set(&ref, "&lt;");
        goto copy;

    case '>':
        ngx_str_set(&ref, "&gt;");
        goto copy;

    case '"':
        ngx_str_set(&ref, "&quot;");
        goto copy;

    case '\'':
        ngx_str_set(&ref, "&#39;");
        goto copy;
    }

    if (ngx_http_push_approval_is_control(c)) {
        return 0;
    }

    ref.data = p;
    ref.len = n;

copy:

    if (dst) {
        ngx_memcpy(dst, ref.data, ref.len);
    }

    return ref.len;
}


size_t
ngx_http_push_approval_html_len(ngx_str_t *s)
{
    u_char  *p, *last;
    size_t   len;

    if (s->len == 0) {
        return 0;   /* an empty value may have no data at all */
    }

    len = 0;
    p = s->data;
    last = p + s->len;

    while (p < last) {
        len += ngx_http_push_approval_html_char(NULL, &p, last);
    }

    return len;
}


u_char *
ngx_http_push_approval_html_escape(u_char *dst, ngx_str_t *s)
{
    u_char  *p, *last;

    if (s->len == 0) {
        return dst;
    }

    p = s->data;
    last = p + s->len;

    while (p < last) {
        dst += ngx_http_push_approval_html_char(dst, &p, last);
    }

    return dst;
}


/*
 * A pool copy of src fit for one line of plain text: every control
 * character (as ngx_http_push_approval_is_control()) becomes a space, an
 * ill-formed UTF-8 byte becomes '?'.  The copy is simply cut at max
 * bytes, never inside a UTF-8 sequence, without an ellipsis (so that
 * max is also the exact bound of what the caller stores).  The copy is
 * never longer than src.
 */

ngx_int_t
ngx_http_push_approval_clean_text(ngx_str_t *src, size_t max, ngx_str_t *dst,
    ngx_pool_t *pool)
{
    u_char    *p, *last, *d, *end;
    size_t     n;
    uint32_t   c;

    n = ngx_min(src->len, max);

    dst->len = 0;
    dst->data = ngx_pnalloc(pool, n ? n : 1);
    if (dst->data == NULL) {
        return NGX_ERROR;
    }

    if (src->len == 0) {
        return NGX_OK;
    }

    p = src->data;
    last = p + src->len;
    d = dst->data;
    end = d + n;

    while (p < last) {
        n = ngx_http_push_approval_utf8(p, last, &c);

        if (n == 0 || ngx_http_push_approval_is_control(c)) {
            if (d == end) {
                break;
            }

            *d++ = (n == 0) ? '?' : ' ';
            p += n ? n : 1;
            continue;
        }

        if ((size_t) (end - d) < n) {
            break;
        }

        d = ngx_cpymem(d, p, n);
        p += n;
    }

    dst->len = d - dst->data;

    return NGX_OK;
}
