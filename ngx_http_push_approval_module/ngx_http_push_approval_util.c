
/*
 * ngx_http_push_approval_module: escaping, base64url, header and form
 * parsing.
 *
 * Everything here is pure (no I/O, no shared memory) and bounded, so that
 * it can be unit-tested and fuzzed apart from the rest of the module.
 */


#include "ngx_http_push_approval_module.h"


/* bytes of Accept header values considered, over all Accept headers */
#define NGX_HTTP_PUSH_APPROVAL_ACCEPT_MAX  1024


typedef struct {
    size_t                        budget;   /* bytes still to consider */
    ngx_int_t                     html_q;   /* lowest q of text/html */
    ngx_int_t                     other_q;  /* highest q of other types */
    unsigned                      html:1;   /* text/html was listed */
} ngx_http_push_approval_accept_t;


typedef struct {
    ngx_uint_t                    bit;
    ngx_str_t                     name;
} ngx_http_push_approval_method_t;


static ngx_uint_t ngx_http_push_approval_is_control(uint32_t c);
static size_t ngx_http_push_approval_json_char(u_char *dst, u_char **pp,
    u_char *last);
static size_t ngx_http_push_approval_html_char(u_char *dst, u_char **pp,
    u_char *last);
static ngx_uint_t ngx_http_push_approval_b64url_value(u_char c);
static void ngx_http_push_approval_accept_init(
    ngx_http_push_approval_accept_t *st);
static void ngx_http_push_approval_accept_add(
    ngx_http_push_approval_accept_t *st, ngx_str_t *value);
static u_char *ngx_http_push_approval_accept_item(
    ngx_http_push_approval_accept_t *st, u_char *p, u_char *last);
static u_char *ngx_http_push_approval_accept_param(u_char *p, u_char *last,
    ngx_int_t *q);
static void ngx_http_push_approval_accept_record(
    ngx_http_push_approval_accept_t *st, u_char *type, size_t tlen,
    u_char *sub, size_t slen, ngx_int_t q);
static ngx_int_t ngx_http_push_approval_accept_result(
    ngx_http_push_approval_accept_t *st);
static ngx_int_t ngx_http_push_approval_qvalue(u_char *p, size_t len);
static u_char *ngx_http_push_approval_tchars(u_char *p, u_char *last);
static u_char *ngx_http_push_approval_qstring(u_char *p, u_char *last);
static u_char *ngx_http_push_approval_ows(u_char *p, u_char *last);
static u_char *ngx_http_push_approval_rows(u_char *start, u_char *p);
static ssize_t ngx_http_push_approval_form_decode(u_char *dst, u_char *src,
    size_t len, size_t cap);
static ngx_int_t ngx_http_push_approval_cookie_scan(ngx_str_t *header,
    ngx_str_t *name, ngx_str_t *values, ngx_uint_t n, ngx_uint_t max);


static ngx_http_push_approval_method_t  ngx_http_push_approval_methods[] = {
    { NGX_HTTP_GET, ngx_string("GET") },
    { NGX_HTTP_HEAD, ngx_string("HEAD") },
    { NGX_HTTP_POST, ngx_string("POST") },
    { NGX_HTTP_PUT, ngx_string("PUT") },
    { NGX_HTTP_DELETE, ngx_string("DELETE") },
    { NGX_HTTP_MKCOL, ngx_string("MKCOL") },
    { NGX_HTTP_COPY, ngx_string("COPY") },
    { NGX_HTTP_MOVE, ngx_string("MOVE") },
    { NGX_HTTP_OPTIONS, ngx_string("OPTIONS") },
    { NGX_HTTP_PROPFIND, ngx_string("PROPFIND") },
    { NGX_HTTP_PROPPATCH, ngx_string("PROPPATCH") },
    { NGX_HTTP_LOCK, ngx_string("LOCK") },
    { NGX_HTTP_UNLOCK, ngx_string("UNLOCK") },
    { NGX_HTTP_PATCH, ngx_string("PATCH") },
    { NGX_HTTP_TRACE, ngx_string("TRACE") },
    { NGX_HTTP_CONNECT, ngx_string("CONNECT") },
    { 0, ngx_null_string }
};


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


static ngx_uint_t
ngx_http_push_approval_b64url_value(u_char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (c == '-') {
        return 62;
    }

    if (c == '_') {
        return 63;
    }

    return 64;
}


/*
 * Strict: only the 64 URL-safe characters, no padding, no length that
 * leaves a single character, and the unused low bits of the last
 * character must be zero, so that every byte string has exactly one
 * accepted encoding.
 */

ngx_int_t
ngx_http_push_approval_b64url_decode(ngx_str_t *dst, ngx_str_t *src)
{
    size_t      i, rest;
    ngx_uint_t  v;

    rest = src->len % 4;

    if (rest == 1) {
        return NGX_ERROR;
    }

    v = 0;

    for (i = 0; i < src->len; i++) {
        v = ngx_http_push_approval_b64url_value(src->data[i]);

        if (v > 63) {
            return NGX_ERROR;
        }
    }

    if ((rest == 2 && (v & 0x0f)) || (rest == 3 && (v & 0x03))) {
        return NGX_ERROR;
    }

    return ngx_decode_base64url(dst, src);
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
 * §1.8: a page is for a GET or HEAD (see ngx_http_push_approval_wants_html()
 * for the rest of the test).
 */

ngx_int_t
ngx_http_push_approval_accepts_html(ngx_http_request_t *r)
{
    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return 0;
    }

    return ngx_http_push_approval_wants_html(r);
}


/*
 * Whether the client, whatever its method, would rather read a page:
 * "Sec-Fetch-Dest: document", or an Accept header (all of them, their
 * first 1024 bytes) that prefers text/html, as
 * ngx_http_push_approval_accept_html() tells.
 */

ngx_int_t
ngx_http_push_approval_wants_html(ngx_http_request_t *r)
{
    ngx_uint_t                        i;
    ngx_list_part_t                  *part;
    ngx_table_elt_t                  *h;
    ngx_http_push_approval_accept_t   st;

    h = ngx_http_push_approval_find_header(r, "Sec-Fetch-Dest",
                                           sizeof("Sec-Fetch-Dest") - 1);

    if (h && h->value.len == sizeof("document") - 1
        && ngx_strncasecmp(h->value.data, (u_char *) "document",
                           sizeof("document") - 1) == 0)
    {
        return 1;
    }

    ngx_http_push_approval_accept_init(&st);

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == sizeof("Accept") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "Accept",
                               sizeof("Accept") - 1) == 0)
        {
            ngx_http_push_approval_accept_add(&st, &h[i].value);
        }
    }

    return ngx_http_push_approval_accept_result(&st);
}


/*
 * One Accept value: 1 when it lists text/html explicitly (not through
 * "*" ranges), with a q above 0 and at least as high as the q of every
 * other explicitly listed type; else 0.  If text/html is listed more
 * than once, its lowest q counts.  A malformed q counts as q=0; an
 * element that is not a media range is ignored.  Only the first 1024
 * bytes are considered, up to the last whole element.
 */

ngx_int_t
ngx_http_push_approval_accept_html(ngx_str_t *accept)
{
    ngx_http_push_approval_accept_t  st;

    ngx_http_push_approval_accept_init(&st);
    ngx_http_push_approval_accept_add(&st, accept);

    return ngx_http_push_approval_accept_result(&st);
}


static void
ngx_http_push_approval_accept_init(ngx_http_push_approval_accept_t *st)
{
    st->budget = NGX_HTTP_PUSH_APPROVAL_ACCEPT_MAX;
    st->html_q = 1000;
    st->other_q = 0;
    st->html = 0;
}


static void
ngx_http_push_approval_accept_add(ngx_http_push_approval_accept_t *st,
    ngx_str_t *value)
{
    u_char  *p, *last;

    p = value->data;
    last = p + value->len;

    if (value->len > st->budget) {
        last = p + st->budget;

        while (last > p && last[-1] != ',') {
            last--;
        }
    }

    st->budget -= last - p;

    while (p < last) {
        p = ngx_http_push_approval_accept_item(st, p, last);
    }
}


/*
 * One element of the list:
 *
 *     media-range = type "/" subtype *( OWS ";" OWS [ parameter ] )
 *
 * returns where the next one starts.
 */

static u_char *
ngx_http_push_approval_accept_item(ngx_http_push_approval_accept_t *st,
    u_char *p, u_char *last)
{
    u_char     *type, *sub, *param;
    size_t      tlen, slen;
    ngx_int_t   q;

    p = ngx_http_push_approval_ows(p, last);

    if (p < last && *p == ',') {
        return p + 1;
    }

    type = p;
    p = ngx_http_push_approval_tchars(p, last);
    tlen = p - type;

    if (tlen == 0 || p == last || *p != '/') {
        goto invalid;
    }

    sub = ++p;
    p = ngx_http_push_approval_tchars(p, last);
    slen = p - sub;

    if (slen == 0) {
        goto invalid;
    }

    q = -1;

    for ( ;; ) {
        p = ngx_http_push_approval_ows(p, last);

        if (p == last || *p == ',') {
            break;
        }

        if (*p != ';') {
            goto invalid;
        }

        p = ngx_http_push_approval_ows(p + 1, last);

        if (p == last || *p == ',' || *p == ';') {
            continue;
        }

        param = p;
        p = ngx_http_push_approval_accept_param(p, last, &q);

        if (p == NULL) {
            p = param;
            goto invalid;
        }
    }

    ngx_http_push_approval_accept_record(st, type, tlen, sub, slen,
                                         q == -1 ? 1000 : q);

    return (p == last) ? p : p + 1;

invalid:

    while (p < last && *p != ',') {
        p++;
    }

    return (p == last) ? p : p + 1;
}


/*
 * parameter = token "=" ( token / quoted-string ); a "q" sets *q (a
 * malformed or repeated one to 0); NULL when malformed (no "=", no value,
 * an unterminated quoted string).
 */

static u_char *
ngx_http_push_approval_accept_param(u_char *p, u_char *last, ngx_int_t *q)
{
    u_char  *name, *value;

    name = p;
    p = ngx_http_push_approval_tchars(p, last);

    if (p == name || p == last || *p != '=') {
        return NULL;
    }

    value = ++p;

    if (p - name == 2 && (name[0] | 0x20) == 'q') {
        p = ngx_http_push_approval_tchars(p, last);
        *q = (*q == -1) ? ngx_http_push_approval_qvalue(value, p - value) : 0;
        return p;
    }

    if (p < last && *p == '"') {
        return ngx_http_push_approval_qstring(p, last);
    }

    p = ngx_http_push_approval_tchars(p, last);

    return (p == value) ? NULL : p;
}


static void
ngx_http_push_approval_accept_record(ngx_http_push_approval_accept_t *st,
    u_char *type, size_t tlen, u_char *sub, size_t slen, ngx_int_t q)
{
    if ((tlen == 1 && type[0] == '*') || (slen == 1 && sub[0] == '*')) {
        return;
    }

    if (tlen == 4 && slen == 4
        && ngx_strncasecmp(type, (u_char *) "text", 4) == 0
        && ngx_strncasecmp(sub, (u_char *) "html", 4) == 0)
    {
        st->html = 1;
        st->html_q = ngx_min(st->html_q, q);
        return;
    }

    st->other_q = ngx_max(st->other_q, q);
}


static ngx_int_t
ngx_http_push_approval_accept_result(ngx_http_push_approval_accept_t *st)
{
    return st->html && st->html_q > 0 && st->html_q >= st->other_q;
}


/*
 * qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ),
 * in thousandths; 0 when malformed.
 */

static ngx_int_t
ngx_http_push_approval_qvalue(u_char *p, size_t len)
{
    size_t     i;
    ngx_int_t  q, scale;

    if (len == 0 || len > 5 || (p[0] != '0' && p[0] != '1')) {
        return 0;
    }

    if (len > 1 && p[1] != '.') {
        return 0;
    }

    q = (p[0] - '0') * 1000;
    scale = 100;

    for (i = 2; i < len; i++) {
        if (p[i] < '0' || p[i] > '9' || (q == 1000 && p[i] != '0')) {
            return 0;
        }

        q += (p[i] - '0') * scale;
        scale /= 10;
    }

    return q;
}


/* tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
 *         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */

static u_char *
ngx_http_push_approval_tchars(u_char *p, u_char *last)
{
    u_char  c;

    while (p < last) {
        c = *p;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9'))
        {
            p++;
            continue;
        }

        switch (c) {
        case '!': case '#': case '$': case '%': case '&': case '\'':
        case '*': case '+': case '-': case '.': case '^': case '_':
        case '`': case '|': case '~':
            p++;
            continue;
        }

        break;
    }

    return p;
}


/* p is at the opening DQUOTE; returns past the closing one, or NULL */

static u_char *
ngx_http_push_approval_qstring(u_char *p, u_char *last)
{
    for (p++; p < last; p++) {

        if (*p == '"') {
            return p + 1;
        }

        if (*p == '\\' && ++p == last) {
            return NULL;
        }
    }

    return NULL;
}


static u_char *
ngx_http_push_approval_ows(u_char *p, u_char *last)
{
    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    return p;
}


/* back from p over spaces and tabs, not before start */

static u_char *
ngx_http_push_approval_rows(u_char *start, u_char *p)
{
    while (p > start && (p[-1] == ' ' || p[-1] == '\t')) {
        p--;
    }

    return p;
}


/* the first header of that name (case-insensitive) in a list, or NULL */

ngx_table_elt_t *
ngx_http_push_approval_list_find(ngx_list_t *list, const char *name,
    size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &list->part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash != 0 && h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }

    return NULL;
}


ngx_table_elt_t *
ngx_http_push_approval_find_header(ngx_http_request_t *r, const char *name,
    size_t len)
{
    return ngx_http_push_approval_list_find(&r->headers_in.headers, name,
                                            len);
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


/*
 * The request's method as a bit of a methods mask: nginx's own
 * NGX_HTTP_GET, NGX_HTTP_POST, ... bits (NGX_HTTP_UNKNOWN for others).
 * HEAD is its own bit: callers test (NGX_HTTP_GET|NGX_HTTP_HEAD) where a
 * mask holds GET, as "GET implies HEAD".
 */

ngx_uint_t
ngx_http_push_approval_method_bit(ngx_http_request_t *r)
{
    return r->method;
}


/*
 * The names of the set bits of a methods mask, separated by ", ", HEAD
 * left out when GET is there.  buf must hold
 * NGX_HTTP_PUSH_APPROVAL_METHODS_TEXT_LEN bytes.
 */

u_char *
ngx_http_push_approval_methods_text(u_char *buf, ngx_uint_t methods)
{
    u_char                           *p;
    ngx_http_push_approval_method_t  *m;

    p = buf;

    for (m = ngx_http_push_approval_methods; m->bit; m++) {

        if (!(methods & m->bit)
            || (m->bit == NGX_HTTP_HEAD && (methods & NGX_HTTP_GET)))
        {
            continue;
        }

        if (p != buf) {
            *p++ = ',';
            *p++ = ' ';
        }

        p = ngx_cpymem(p, m->name.data, m->name.len);
    }

    return p;
}


/*
 * A duration in words: "15 minutes", "1 hour 30 minutes", "45 seconds".
 * buf must hold NGX_HTTP_PUSH_APPROVAL_TTL_TEXT_LEN bytes.
 */

u_char *
ngx_http_push_approval_ttl_text(u_char *buf, time_t ttl)
{
    u_char     *p;
    time_t      v[3];
    ngx_uint_t  i;

    static const char  *unit[] = { "hour", "minute", "second" };

    if (ttl <= 0) {
        return ngx_cpymem(buf, "0 seconds", sizeof("0 seconds") - 1);
    }

    v[0] = ttl / 3600;
    v[1] = ttl / 60 % 60;
    v[2] = ttl % 60;

    p = buf;

    for (i = 0; i < 3; i++) {

        if (v[i] == 0) {
            continue;
        }

        p = ngx_sprintf(p, "%s%T %s%s", p == buf ? "" : " ", v[i], unit[i],
                        v[i] == 1 ? "" : "s");
    }

    return p;
}


/*
 * Pushes a response header.  Nothing is copied: name must be a literal
 * and value must live as long as the request (pool memory).
 */

ngx_int_t
ngx_http_push_approval_add_header(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    h->key.len = ngx_strlen(name);
    h->key.data = (u_char *) name;
    h->value = *value;

    return NGX_OK;
}


/*
 * The values of the cookies named exactly name in all Cookie headers, as
 * they are (no decoding, no unquoting), at most max of them, in header
 * order.  Returns how many were stored (0 to max).
 */

ngx_int_t
ngx_http_push_approval_cookie_values(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *values, ngx_uint_t max)
{
    ngx_uint_t        n;
    ngx_table_elt_t  *h;
#if (nginx_version < 1023000)
    ngx_uint_t        i;
    ngx_table_elt_t **hh;
#endif

    n = 0;

#if (nginx_version >= 1023000)

    for (h = r->headers_in.cookie; h && n < max; h = h->next) {
        n = ngx_http_push_approval_cookie_scan(&h->value, name, values, n,
                                               max);
    }

#else

    hh = r->headers_in.cookies.elts;

    for (i = 0; i < r->headers_in.cookies.nelts && n < max; i++) {
        h = hh[i];
        n = ngx_http_push_approval_cookie_scan(&h->value, name, values, n,
                                               max);
    }

#endif

    return n;
}


/*
 * cookie-string = cookie-pair *( ";" SP cookie-pair ); parsed as RFC 6265
 * 5.2 does: pairs split on ";", name and value trimmed of spaces and
 * tabs, pairs without "=" skipped.
 */

static ngx_int_t
ngx_http_push_approval_cookie_scan(ngx_str_t *header, ngx_str_t *name,
    ngx_str_t *values, ngx_uint_t n, ngx_uint_t max)
{
    u_char  *p, *last, *end, *eq, *e;

    p = header->data;
    last = p + header->len;

    while (p < last && n < max) {

        end = ngx_strlchr(p, last, ';');
        if (end == NULL) {
            end = last;
        }

        eq = ngx_strlchr(p, end, '=');

        if (eq) {
            p = ngx_http_push_approval_ows(p, eq);
            e = ngx_http_push_approval_rows(p, eq);

            if ((size_t) (e - p) == name->len
                && ngx_memcmp(p, name->data, name->len) == 0)
            {
                p = ngx_http_push_approval_ows(eq + 1, end);

                values[n].data = p;
                values[n].len = ngx_http_push_approval_rows(p, end) - p;
                n++;
            }
        }

        p = (end < last) ? end + 1 : last;
    }

    return n;
}
