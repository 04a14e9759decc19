
/*
 * ngx_http_push_approval_module: a challenge's values in words, for
 * people (the approve page, the push, the default "unlocks" line): a
 * methods mask and a duration; and the request's method as a bit of such
 * a mask.
 *
 * Everything here is pure (no I/O, no shared memory) and bounded, so that
 * it can be unit-tested and fuzzed apart from the rest of the module.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_text.h"


typedef struct {
    ngx_uint_t                    bit;
    ngx_str_t                     name;
} ngx_http_push_approval_method_t;


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


/* decimal, zero-padded to width digits (journal.c writes its numbers too) */

u_char *
ngx_http_push_approval_text_uint(u_char *p, uint64_t n, size_t width)
{
    u_char  *d, digits[NGX_INT64_LEN];

    d = digits + NGX_INT64_LEN;

    do {
        *--d = (u_char) ('0' + n % 10);
        n /= 10;
    } while (n);

    while ((size_t) (digits + NGX_INT64_LEN - d) < width) {
        *--d = '0';
    }

    return ngx_cpymem(p, d, digits + NGX_INT64_LEN - d);
}
