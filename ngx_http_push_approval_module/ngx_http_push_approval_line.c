
/*
 * Reading a journal line back into its fields, for the stream: a strict
 * parser of the flat objects the journal writes (docs/audit-format.md,
 * "Canonical lines").  Strings are unescaped into the caller's buffer,
 * numbers keep their text.  Anything else -- nesting, white space,
 * escapes the journal never writes, a surrogate -- is refused: the line
 * was not written by the module.  Pure: no nginx state, for the fuzzer.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_line.h"
#include "ngx_http_push_approval_escape.h"


static u_char *ngx_http_push_approval_line_string(u_char *p, u_char *last,
    u_char **out);
static u_char *ngx_http_push_approval_line_number(u_char *p, u_char *last);
static ngx_int_t ngx_http_push_approval_line_hex(u_char *p, uint32_t *c);
static u_char *ngx_http_push_approval_line_utf8(u_char *d, uint32_t c);


/*
 * [p, last) is one line without its newline; dec has room for last - p
 * bytes.  Fills f->key[] and f->value[] (pointing into dec) and f->seq.
 */

ngx_int_t
ngx_http_push_approval_line_parse(u_char *p, u_char *last, u_char *dec,
    ngx_http_push_approval_fields_t *f)
{
    u_char      *start;
    ngx_int_t    n;
    ngx_uint_t   i;

    f->n = 0;
    f->seq = 0;
    f->writer.len = 0;

    if (p == last || *p++ != '{') {
        return NGX_ERROR;
    }

    for ( ;; ) {
        if (f->n == NGX_HTTP_PUSH_APPROVAL_LINE_FIELDS) {
            return NGX_ERROR;
        }

        i = f->n;

        /* a name: lowercase letters and "_" */

        if (p == last || *p++ != '"') {
            return NGX_ERROR;
        }

        start = p;

        while (p < last && ((*p >= 'a' && *p <= 'z') || *p == '_')) {
            p++;
        }

        if (p == start || p + 2 > last || p[0] != '"' || p[1] != ':') {
            return NGX_ERROR;
        }

        f->key[i].data = dec;
        f->key[i].len = p - start;
        dec = ngx_cpymem(dec, start, p - start);
        p += 2;

        f->value[i].data = dec;

        if (p < last && *p == '"') {
            p = ngx_http_push_approval_line_string(p + 1, last, &dec);
            f->number[i] = 0;

        } else {
            start = p;
            p = ngx_http_push_approval_line_number(p, last);

            if (p) {
                dec = ngx_cpymem(dec, start, p - start);
            }

            f->number[i] = 1;
        }

        if (p == NULL || p == last) {
            return NGX_ERROR;
        }

        f->value[i].len = dec - f->value[i].data;
        f->n++;

        if (f->key[i].len == 3 && ngx_strncmp(f->key[i].data, "seq", 3) == 0
            && f->number[i])
        {
            n = ngx_atoof(f->value[i].data, f->value[i].len);
            if (n <= 0) {
                return NGX_ERROR;
            }

            f->seq = (uint64_t) n;
        }

        if (f->key[i].len == 6
            && ngx_strncmp(f->key[i].data, "writer", 6) == 0)
        {
            f->writer = f->value[i];
        }

        if (*p == ',') {
            p++;
            continue;
        }

        if (*p++ != '}' || p != last) {
            return NGX_ERROR;
        }

        return (f->seq && f->writer.len) ? NGX_OK : NGX_ERROR;
    }
}


/* after the opening quote; returns past the closing one */

static u_char *
ngx_http_push_approval_line_string(u_char *p, u_char *last, u_char **out)
{
    u_char    *d;
    size_t     n;
    uint32_t   c;

    d = *out;

    while (p < last) {

        if (*p == '"') {
            *out = d;
            return p + 1;
        }

        if (*p < 0x20) {
            return NULL;
        }

        if (*p != '\\') {
            n = ngx_http_push_approval_utf8(p, last, &c);

            if (n == 0) {
                return NULL;    /* the journal writes valid UTF-8 only */
            }

            d = ngx_cpymem(d, p, n);
            p += n;
            continue;
        }

        if (p + 1 < last && (p[1] == '"' || p[1] == '\\')) {
            *d++ = p[1];
            p += 2;
            continue;
        }

        if (p + 6 > last || p[1] != 'u'
            || ngx_http_push_approval_line_hex(p + 2, &c) != NGX_OK
            || (c >= 0xd800 && c <= 0xdfff))
        {
            return NULL;
        }

        p += 6;
        d = ngx_http_push_approval_line_utf8(d, c);
    }

    return NULL;
}


static u_char *
ngx_http_push_approval_line_number(u_char *p, u_char *last)
{
    u_char  *start;

    start = p;

    while (p < last && ((*p >= '0' && *p <= '9') || *p == '.')) {
        p++;
    }

    if (p == start || (size_t) (p - start) > NGX_INT64_LEN) {
        return NULL;
    }

    return p;
}


static ngx_int_t
ngx_http_push_approval_line_hex(u_char *p, uint32_t *c)
{
    u_char      ch;
    ngx_uint_t  i;

    *c = 0;

    for (i = 0; i < 4; i++) {
        ch = p[i];

        if (ch >= '0' && ch <= '9') {
            *c = (*c << 4) | (ch - '0');

        } else if (ch >= 'a' && ch <= 'f') {
            *c = (*c << 4) | (ch - 'a' + 10);

        } else {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* a code point below U+10000 (a \u escape, surrogates refused) */

static u_char *
ngx_http_push_approval_line_utf8(u_char *d, uint32_t c)
{
    if (c < 0x80) {
        *d++ = (u_char) c;

    } else if (c < 0x800) {
        *d++ = (u_char) (0xc0 | (c >> 6));
        *d++ = (u_char) (0x80 | (c & 0x3f));

    } else {
        *d++ = (u_char) (0xe0 | (c >> 12));
        *d++ = (u_char) (0x80 | ((c >> 6) & 0x3f));
        *d++ = (u_char) (0x80 | (c & 0x3f));
    }

    return d;
}


/* a field's value by name, or NULL */

ngx_str_t *
ngx_http_push_approval_line_field(ngx_http_push_approval_fields_t *f,
    const char *name)
{
    size_t      len;
    ngx_uint_t  i;

    len = ngx_strlen(name);

    for (i = 0; i < f->n; i++) {
        if (f->key[i].len == len
            && ngx_strncmp(f->key[i].data, name, len) == 0)
        {
            return &f->value[i];
        }
    }

    return NULL;
}
