
/*
 * ngx_http_push_approval_module: the output of answers: the buffer a page
 * or a JSON body grows in, the frame of a page, and sending a body with
 * its security headers.
 *
 * Every value that came from a client (and every challenge field is one)
 * goes through ngx_http_push_approval_html_escape() or
 * ngx_http_push_approval_json_escape() on its way out.  Pages are small
 * self-contained documents: one inline stylesheet and, where needed, one
 * inline script, both allowed by a fresh CSP nonce; no external assets.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_output.h"
#include "ngx_http_push_approval_escape.h"
#include "ngx_http_push_approval_headers.h"
#include "ngx_http_push_approval_keys.h"
#include "ngx_http_push_approval_parse.h"


#define NGX_HTTP_PUSH_APPROVAL_NONCE_BYTES  16
#define NGX_HTTP_PUSH_APPROVAL_PRINTF_MAX   256


static ngx_int_t ngx_http_push_approval_security_headers(
    ngx_http_request_t *r, ngx_str_t *nonce);

static u_char *ngx_http_push_approval_out_reserve(
    ngx_http_push_approval_out_t *o, size_t n);


static ngx_str_t  ngx_http_push_approval_type_html =
    ngx_string("text/html");


static const char  ngx_http_push_approval_style[] =
    ":root{color-scheme:light dark;--fg:#1c2128;--bg:#f3f4f6;--card:#fff;"
    "--muted:#57606a;--line:#d0d7de;--accent:#0b5cd5;--ok:#116329;"
    "--bad:#b3261e}"
    "@media(prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;"
    "--card:#161b22;--muted:#9da7b3;--line:#30363d;--ok:#56d364;"
    "--bad:#ff7b72}}"
    "*{box-sizing:border-box}"
    "body{margin:0;background:var(--bg);color:var(--fg);"
    "font:1rem/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,"
    "sans-serif}"
    "main{max-width:32rem;margin:0 auto;padding:1.5rem 1rem}"
    ".card{background:var(--card);border:1px solid var(--line);"
    "border-radius:.75rem;padding:1.25rem}"
    "h1{font-size:1.375rem;line-height:1.3;margin:0 0 .75rem}"
    "p{margin:.6rem 0}"
    ".muted{color:var(--muted);font-size:.9375rem}"
    ".code{font:700 2.25rem/1.2 ui-monospace,SFMono-Regular,Menlo,"
    "Consolas,monospace;letter-spacing:.25em;text-align:center;"
    "margin:1rem 0;padding:.75rem;border:2px dashed var(--line);"
    "border-radius:.5rem}"
    "dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem .9rem;"
    "margin:1rem 0}"
    "dt{color:var(--muted)}"
    "dd{margin:0;overflow-wrap:anywhere}"
    "label{display:block;font-weight:600;margin:1rem 0 .4rem}"
    "input{display:block;width:100%;font:600 1.5rem/1.2 ui-monospace,"
    "monospace;letter-spacing:.2em;padding:.7rem;color:var(--fg);"
    "background:var(--bg);border:1px solid var(--line);"
    "border-radius:.5rem}"
    ".btn,button{display:block;width:100%;min-height:3rem;"
    "margin:.7rem 0 0;padding:.75rem 1rem;font:inherit;font-weight:600;"
    "text-align:center;text-decoration:none;color:var(--fg);"
    "background:var(--card);border:1px solid var(--line);"
    "border-radius:.5rem;cursor:pointer}"
    ".primary{color:#fff;background:var(--accent);"
    "border-color:var(--accent)}"
    ".danger{color:var(--bad);border-color:var(--bad)}"
    ":focus-visible{outline:3px solid var(--accent);outline-offset:2px}"
    ".ok{color:var(--ok)}.bad{color:var(--bad)}"
    ".status{font-weight:600}"
    "code{font-family:ui-monospace,monospace;overflow-wrap:anywhere}";


/* <dt>label</dt><dd id="id">value</dd>; an empty value shows a dash */

void
ngx_http_push_approval_field(ngx_http_push_approval_out_t *o,
    const char *label, const char *id, ngx_str_t *value)
{
    ngx_http_push_approval_out_printf(o, "<dt>%s</dt><dd id=\"%s\">",
                                      label, id);

    if (value->len) {
        ngx_http_push_approval_out_html(o, value);

    } else {
        ngx_http_push_approval_out_lit(o, "&mdash;");
    }

    ngx_http_push_approval_out_lit(o, "</dd>\n");
}


/*
 * A page from a fragment: title is plain text (escaped here), html is
 * markup the caller has built with every client value escaped.  No
 * script; forms may post to this origin only.
 */

ngx_int_t
ngx_http_push_approval_send_page(ngx_http_request_t *r,
    ngx_uint_t http_status, ngx_str_t *title, ngx_str_t *html)
{
    ngx_http_push_approval_out_t  o;

    if (ngx_http_push_approval_page_begin(r, &o, title, NULL) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_push_approval_out_str(&o, html);

    return ngx_http_push_approval_page_end(r, &o, http_status, NULL);
}


ngx_int_t
ngx_http_push_approval_send_json(ngx_http_request_t *r,
    ngx_uint_t http_status, ngx_str_t *json)
{
    ngx_str_t  type;

    ngx_str_set(&type, "application/json");

    return ngx_http_push_approval_send_buf(r, http_status, &type, json, NULL);
}


/*
 * The document around a page: head (with the caller's extra head markup,
 * trusted), the stylesheet, and the opening of the card.  Generates the
 * nonce.
 */

ngx_int_t
ngx_http_push_approval_page_begin(ngx_http_request_t *r,
    ngx_http_push_approval_out_t *o, ngx_str_t *title, ngx_str_t *head)
{
    u_char     raw[NGX_HTTP_PUSH_APPROVAL_NONCE_BYTES];
    ngx_str_t  src;

    ngx_http_push_approval_out_init(o, r->pool);

    o->nonce.data = ngx_pnalloc(r->pool, ngx_base64_encoded_length(
                                         NGX_HTTP_PUSH_APPROVAL_NONCE_BYTES));
    if (o->nonce.data == NULL
        || ngx_http_push_approval_random(raw, sizeof(raw)) != NGX_OK)
    {
        return NGX_ERROR;
    }

    src.data = raw;
    src.len = sizeof(raw);
    ngx_http_push_approval_b64url_encode(&o->nonce, &src);

    ngx_http_push_approval_out_lit(o, "<!DOCTYPE html>\n<html lang=\"en\">\n"
        "<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, "
        "initial-scale=1\">\n<meta name=\"robots\" content=\"noindex\">\n"
        "<title>");
    ngx_http_push_approval_out_html(o, title);
    ngx_http_push_approval_out_lit(o, "</title>\n");

    if (head) {
        ngx_http_push_approval_out_str(o, head);
    }

    ngx_http_push_approval_out_lit(o, "<style nonce=\"");
    ngx_http_push_approval_out_str(o, &o->nonce);
    ngx_http_push_approval_out_lit(o, "\">");
    ngx_http_push_approval_out_lit(o, ngx_http_push_approval_style);
    ngx_http_push_approval_out_lit(o, "</style>\n</head>\n<body>\n<main>\n"
                                      "<div class=\"card\">\n");

    return NGX_OK;
}


ngx_int_t
ngx_http_push_approval_page_end(ngx_http_request_t *r,
    ngx_http_push_approval_out_t *o, ngx_uint_t http_status,
    const char *script)
{
    ngx_str_t  body;

    ngx_http_push_approval_out_lit(o, "</div>\n</main>\n");

    if (script) {
        ngx_http_push_approval_out_lit(o, "<script nonce=\"");
        ngx_http_push_approval_out_str(o, &o->nonce);
        ngx_http_push_approval_out_lit(o, "\">");
        ngx_http_push_approval_out_raw(o, (u_char *) script,
                                       ngx_strlen(script));
        ngx_http_push_approval_out_lit(o, "</script>\n");
    }

    ngx_http_push_approval_out_lit(o, "</body>\n</html>\n");

    if (o->failed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body.data = o->start;
    body.len = o->pos - o->start;

    return ngx_http_push_approval_send_buf(r, http_status,
                                           &ngx_http_push_approval_type_html,
                                           &body, &o->nonce);
}


ngx_int_t
ngx_http_push_approval_send_out(ngx_http_request_t *r,
    ngx_http_push_approval_out_t *o, ngx_uint_t http_status,
    const char *type)
{
    ngx_str_t  body, t;

    if (o->failed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body.data = o->start;
    body.len = o->pos - o->start;

    t.data = (u_char *) type;
    t.len = ngx_strlen(type);

    return ngx_http_push_approval_send_buf(r, http_status, &t, &body, NULL);
}


/*
 * Sends a whole answer from memory that lives as long as the request:
 * discards an unread request body, sets the status, the type, the
 * length, Cache-Control: no-store (unless the caller set a Cache-Control,
 * as the cookie does) and X-Content-Type-Options.  With a nonce, the body
 * is an HTML page (charset utf-8) and gets the page security headers.
 * HEAD gets the headers only.
 */

ngx_int_t
ngx_http_push_approval_send_buf(ngx_http_request_t *r,
    ngx_uint_t http_status, ngx_str_t *type, ngx_str_t *body,
    ngx_str_t *nonce)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_push_approval_security_headers(r, nonce) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = http_status;

    ngx_http_clear_content_length(r);
    r->headers_out.content_length_n = body->len;

    r->headers_out.content_type_len = type->len;
    r->headers_out.content_type = *type;
    r->headers_out.content_type_lowcase = NULL;

    if (nonce) {
        ngx_str_set(&r->headers_out.charset, "utf-8");

    } else {
        ngx_str_null(&r->headers_out.charset);
    }

    if (r->method == NGX_HTTP_HEAD) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = body->data;
    b->last = body->data + body->len;
    b->memory = body->len ? 1 : 0;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static ngx_int_t
ngx_http_push_approval_security_headers(ngx_http_request_t *r,
    ngx_str_t *nonce)
{
    ngx_str_t  value;

    if (!ngx_http_push_approval_list_find(&r->headers_out.headers,
                                          "Cache-Control",
                                          sizeof("Cache-Control") - 1))
    {
        ngx_str_set(&value, "no-store");

        if (ngx_http_push_approval_add_header(r, "Cache-Control", &value)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    ngx_str_set(&value, "nosniff");

    if (ngx_http_push_approval_add_header(r, "X-Content-Type-Options",
                                          &value)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (nonce == NULL) {
        return NGX_OK;
    }

    value.data = ngx_pnalloc(r->pool, 2 * nonce->len
                             + sizeof("default-src 'none'; "
                                      "script-src 'nonce-'; "
                                      "style-src 'nonce-'; "
                                      "connect-src 'self'; img-src 'none'; "
                                      "form-action 'self'; "
                                      "base-uri 'none'; "
                                      "frame-ancestors 'none'"));
    if (value.data == NULL) {
        return NGX_ERROR;
    }

    value.len = ngx_sprintf(value.data, "default-src 'none'; "
                            "script-src 'nonce-%V'; style-src 'nonce-%V'; "
                            "connect-src 'self'; img-src 'none'; "
                            "form-action 'self'; base-uri 'none'; "
                            "frame-ancestors 'none'", nonce, nonce)
                - value.data;

    if (ngx_http_push_approval_add_header(r, "Content-Security-Policy",
                                          &value)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_str_set(&value, "no-referrer");

    if (ngx_http_push_approval_add_header(r, "Referrer-Policy", &value)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_str_set(&value, "DENY");

    return ngx_http_push_approval_add_header(r, "X-Frame-Options", &value);
}


void
ngx_http_push_approval_out_init(ngx_http_push_approval_out_t *o,
    ngx_pool_t *pool)
{
    ngx_memzero(o, sizeof(ngx_http_push_approval_out_t));

    o->pool = pool;
}


/* room for n more bytes, or NULL (and failed set) */

static u_char *
ngx_http_push_approval_out_reserve(ngx_http_push_approval_out_t *o,
    size_t n)
{
    u_char  *p;
    size_t   size, used;

    if (o->failed) {
        return NULL;
    }

    if ((size_t) (o->end - o->pos) >= n) {
        return o->pos;
    }

    used = o->pos - o->start;
    size = ngx_max(2 * (size_t) (o->end - o->start), used + n);
    size = ngx_max(size, 4096);

    p = ngx_pnalloc(o->pool, size);
    if (p == NULL) {
        o->failed = 1;
        return NULL;
    }

    if (used) {
        ngx_memcpy(p, o->start, used);
    }

    o->start = p;
    o->pos = p + used;
    o->end = p + size;

    return o->pos;
}


void
ngx_http_push_approval_out_raw(ngx_http_push_approval_out_t *o,
    u_char *data, size_t len)
{
    if (ngx_http_push_approval_out_reserve(o, len) == NULL) {
        return;
    }

    o->pos = ngx_cpymem(o->pos, data, len);
}


void
ngx_http_push_approval_out_html(ngx_http_push_approval_out_t *o,
    ngx_str_t *s)
{
    if (ngx_http_push_approval_out_reserve(o,
                                    ngx_http_push_approval_html_len(s))
        == NULL)
    {
        return;
    }

    o->pos = ngx_http_push_approval_html_escape(o->pos, s);
}


/* the inside of a JSON string, without the quotes */

void
ngx_http_push_approval_out_json(ngx_http_push_approval_out_t *o,
    ngx_str_t *s)
{
    if (ngx_http_push_approval_out_reserve(o,
                                    ngx_http_push_approval_json_len(s))
        == NULL)
    {
        return;
    }

    o->pos = ngx_http_push_approval_json_escape(o->pos, s);
}


/* for numbers and literals only: at most 256 bytes of output */

void
ngx_http_push_approval_out_printf(ngx_http_push_approval_out_t *o,
    const char *fmt, ...)
{
    va_list  args;

    if (ngx_http_push_approval_out_reserve(o,
                                    NGX_HTTP_PUSH_APPROVAL_PRINTF_MAX)
        == NULL)
    {
        return;
    }

    va_start(args, fmt);
    o->pos = ngx_vslprintf(o->pos, o->pos + NGX_HTTP_PUSH_APPROVAL_PRINTF_MAX,
                           fmt, args);
    va_end(args);
}
