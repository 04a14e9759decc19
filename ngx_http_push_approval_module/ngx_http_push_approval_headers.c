
/*
 * ngx_http_push_approval_module: header fields: whether a client would
 * rather read a page (Sec-Fetch-Dest, Accept), finding a request header,
 * adding a response header, and the values of a cookie.
 *
 * Everything here is pure (no I/O, no shared memory) and bounded, so that
 * it can be unit-tested and fuzzed apart from the rest of the module.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_headers.h"


/* bytes of Accept header values considered, over all Accept headers */
#define NGX_HTTP_PUSH_APPROVAL_ACCEPT_MAX  1024


typedef struct {
    size_t                        budget;   /* bytes still to consider */
    ngx_int_t                     html_q;   /* lowest q of text/html */
    ngx_int_t                     other_q;  /* highest q of other types */
    unsigned                      html:1;   /* text/html was listed */
} ngx_http_push_approval_accept_t;


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
static ngx_int_t ngx_http_push_approval_headers_cookie_scan(ngx_str_t *header,
    ngx_str_t *name, ngx_str_t *values, ngx_uint_t n, ngx_uint_t max);


/*
 * A page is only for a GET or HEAD (see ngx_http_push_approval_wants_html()
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
ngx_http_push_approval_headers_cookie_values(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *values, ngx_uint_t max)
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
        n = ngx_http_push_approval_headers_cookie_scan(&h->value, name, values,
                                                       n, max);
    }

#else

    hh = r->headers_in.cookies.elts;

    for (i = 0; i < r->headers_in.cookies.nelts && n < max; i++) {
        h = hh[i];
        n = ngx_http_push_approval_headers_cookie_scan(&h->value, name, values,
                                                       n, max);
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
ngx_http_push_approval_headers_cookie_scan(ngx_str_t *header, ngx_str_t *name,
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
