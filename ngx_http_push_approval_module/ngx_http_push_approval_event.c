
/*
 * Audit events (docs/audit.md): what happened, as one JSON object, to
 * the journal.  Every value is cleaned of control characters, truncated
 * and JSON-escaped; no cookie value, token, pending secret or code is ever
 * a field.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_event.h"
#include "ngx_http_push_approval_challenge.h"
#include "ngx_http_push_approval_escape.h"
#include "ngx_http_push_approval_journal.h"
#include "ngx_http_push_approval_text.h"


#define NGX_HTTP_PUSH_APPROVAL_EVENT_MAX      (16 * 1024)
#define NGX_HTTP_PUSH_APPROVAL_REJECTED_RATE  50   /* a second, a worker */


static u_char *ngx_http_push_approval_event_str(u_char *p, u_char *last,
    const char *name, size_t n, ngx_str_t *s);
static u_char *ngx_http_push_approval_event_nums(u_char *p, u_char *last,
    ngx_http_push_approval_event_t *e);
static ngx_uint_t ngx_http_push_approval_plain(u_char *p, size_t len,
    ngx_uint_t json);
static void ngx_http_push_approval_event_text(ngx_str_t *src, size_t max,
    ngx_str_t *dst, ngx_pool_t *pool);
static void ngx_http_push_approval_redact(ngx_str_t *uri);
static void ngx_http_push_approval_event_uri(ngx_http_request_t *r,
    ngx_str_t *uri);


#define ngx_http_push_approval_event_field(p, last, name, s)                  \
    ngx_http_push_approval_event_str(p, last, name, sizeof(name) - 1, s)


static u_char
    ngx_http_push_approval_event_buf[NGX_HTTP_PUSH_APPROVAL_EVENT_MAX];


/*
 * 1: a byte that the cleaning and the JSON escaping leave as it is (most of
 * printable ASCII); 2: one that the cleaning leaves, but JSON escapes
 * (" & ' < > \); 0: the others, controls, DEL and the bytes of UTF-8.
 */

static u_char  ngx_http_push_approval_plain_bytes[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 2, 1, 1, 1, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1,  /*  !"#$%&'()*+,-./ */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 2, 1,  /* 0-9 :;<=>?       */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* @A-O             */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1,  /* P-Z [\]^_        */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* `a-o             */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0   /* p-z {|}~ DEL     */
};


void
ngx_http_push_approval_event(const char *name,
    ngx_http_push_approval_event_t *e)
{
    u_char     *p, *last;
    ngx_str_t   fields;

    if (!ngx_http_push_approval_journal_on()) {
        return;
    }

    p = ngx_http_push_approval_event_buf;
    last = p + NGX_HTTP_PUSH_APPROVAL_EVENT_MAX - 64;

    p = ngx_http_push_approval_event_field(p, last, "id", &e->id);
    p = ngx_http_push_approval_event_field(p, last, "user", &e->user);
    p = ngx_http_push_approval_event_field(p, last, "approver", &e->approver);
    p = ngx_http_push_approval_event_field(p, last, "client", &e->client);
    p = ngx_http_push_approval_event_field(p, last, "agent", &e->agent);
    p = ngx_http_push_approval_event_field(p, last, "server", &e->server);
    p = ngx_http_push_approval_event_field(p, last, "scope", &e->scope);
    p = ngx_http_push_approval_event_field(p, last, "unlocks", &e->unlocks);
    p = ngx_http_push_approval_event_field(p, last, "method", &e->method);
    p = ngx_http_push_approval_event_field(p, last, "uri", &e->uri);
    p = ngx_http_push_approval_event_field(p, last, "reason", &e->reason);
    p = ngx_http_push_approval_event_nums(p, last, e);

    fields.data = ngx_http_push_approval_event_buf;
    fields.len = p - fields.data;

    if (fields.len) {
        fields.len--;   /* the last comma */
    }

    ngx_http_push_approval_journal_event(name, &fields);
}


/*
 * "name":"value", when there is room for the whole escaped value.  A value
 * of plain bytes only, as most are, is its own JSON: copied at once.
 */

static u_char *
ngx_http_push_approval_event_str(u_char *p, u_char *last, const char *name,
    size_t n, ngx_str_t *s)
{
    size_t      len;
    ngx_uint_t  plain;

    if (s->len == 0) {
        return p;
    }

    plain = ngx_http_push_approval_plain(s->data, s->len, 1);
    len = plain ? s->len : ngx_http_push_approval_json_len(s);

    if ((size_t) (last - p) < n + 6 + len) {
        return p;
    }

    *p++ = '"';
    p = ngx_cpymem(p, name, n);
    p = ngx_cpymem(p, "\":\"", 3);
    p = plain ? ngx_cpymem(p, s->data, len)
              : ngx_http_push_approval_json_escape(p, s);
    *p++ = '"';
    *p++ = ',';

    return p;
}


/*
 * "status":N, "bytes":N,"request_time":S.mmm, as ngx_sprintf() would
 * write them with %ui, %O, %T.%03M.  The string fields are truncated, so
 * the buffer always has room; without it the numbers are left out.
 */

static u_char *
ngx_http_push_approval_event_nums(u_char *p, u_char *last,
    ngx_http_push_approval_event_t *e)
{
    if ((size_t) (last - p) < 128) {
        return p;
    }

    if (e->status) {
        p = ngx_cpymem(p, "\"status\":", sizeof("\"status\":") - 1);
        p = ngx_http_push_approval_text_uint(p, e->status, 1);
        *p++ = ',';
    }

    if (e->access) {
        p = ngx_cpymem(p, "\"bytes\":", sizeof("\"bytes\":") - 1);
        p = ngx_http_push_approval_text_uint(p, e->bytes, 1);
        p = ngx_cpymem(p, ",\"request_time\":",
                       sizeof(",\"request_time\":") - 1);
        p = ngx_http_push_approval_text_uint(p, e->request_time / 1000, 1);
        *p++ = '.';
        p = ngx_http_push_approval_text_uint(p, e->request_time % 1000, 3);
        *p++ = ',';
    }

    return p;
}


/*
 * Whether len bytes are plain: printable ASCII, which cleaning leaves as
 * it is; with json, also none of the bytes the JSON escaping changes.
 */

static ngx_uint_t
ngx_http_push_approval_plain(u_char *p, size_t len, ngx_uint_t json)
{
    u_char  *last, want;

    want = json ? 1 : 3;

    for (last = p + len; p < last; p++) {
        if ((ngx_http_push_approval_plain_bytes[*p] & want) == 0) {
            return 0;
        }
    }

    return 1;
}


/*
 * ngx_http_push_approval_clean_text() for a value of an event: the same
 * text, but a plain value is not copied, the event points into it: events
 * are written at once, while the request and its values still exist.
 */

static void
ngx_http_push_approval_event_text(ngx_str_t *src, size_t max, ngx_str_t *dst,
    ngx_pool_t *pool)
{
    size_t  n;

    n = ngx_min(src->len, max);

    if (n && ngx_http_push_approval_plain(src->data, n, 0)) {
        dst->data = src->data;
        dst->len = n;
        return;
    }

    (void) ngx_http_push_approval_clean_text(src, max, dst, pool);
}


void
ngx_http_push_approval_event_challenge(ngx_http_push_approval_event_t *e,
    ngx_http_push_approval_challenge_t *ch)
{
    e->id = ch->id_text;
    e->user = ch->user;
    e->approver = ch->approver;
    e->client = ch->client;
    e->agent = ch->agent;
    e->server = ch->server;
    e->scope = ch->scope;
    e->unlocks = ch->unlocks;
    e->method = ch->method;
    e->uri = ch->uri;
}


/* what a request tells about itself, cleaned for the trail */

void
ngx_http_push_approval_event_request(ngx_http_push_approval_event_t *e,
    ngx_http_request_t *r)
{
    ngx_str_t                           uri;
    ngx_http_push_approval_srv_conf_t  *pscf;

    ngx_http_push_approval_event_text(&r->connection->addr_text,
                                      NGX_HTTP_PUSH_APPROVAL_CLIENT_MAX,
                                      &e->client, r->pool);

    if (r->headers_in.user_agent) {
        ngx_http_push_approval_event_text(&r->headers_in.user_agent->value,
                                          NGX_HTTP_PUSH_APPROVAL_AGENT_MAX,
                                          &e->agent, r->pool);
    }

    pscf = ngx_http_get_module_srv_conf(r, ngx_http_push_approval_module);
    ngx_http_push_approval_event_text(&pscf->server_id,
                                      NGX_HTTP_PUSH_APPROVAL_SERVER_MAX,
                                      &e->server, r->pool);
    ngx_http_push_approval_event_text(&r->method_name,
                                      NGX_HTTP_PUSH_APPROVAL_METHOD_MAX,
                                      &e->method, r->pool);
    ngx_http_push_approval_event_uri(r, &uri);
    ngx_http_push_approval_event_text(&uri, NGX_HTTP_PUSH_APPROVAL_URI_MAX,
                                      &e->uri, r->pool);

    ngx_http_push_approval_redact(&e->uri);
}


/*
 * At an endpoint, the decoded path up to the first character that cannot
 * be part of an id: a token is never written, however its URL was escaped
 * ("{id}%2E{token}" decides as "{id}.{token}" does).
 */

static void
ngx_http_push_approval_event_uri(ngx_http_request_t *r, ngx_str_t *uri)
{
    u_char                             *p, *last;
    ngx_http_push_approval_loc_conf_t  *plcf;

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);

    /* a subrequest carries its parent's unparsed URI: name its own place */

    if (r != r->main) {
        *uri = r->uri;
        return;
    }

    if (plcf->endpoint == NGX_HTTP_PUSH_APPROVAL_EP_NONE
        || r->uri.len < plcf->endpoint_prefix.len)
    {
        *uri = r->unparsed_uri;
        return;
    }

    last = r->uri.data + r->uri.len;

    for (p = r->uri.data + plcf->endpoint_prefix.len; p < last; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'
              || *p == '/'))
        {
            break;
        }
    }

    uri->data = r->uri.data;
    uri->len = p - r->uri.data;
}


/*
 * An approve URL carries its decision token as "{id}.{token}": the trail
 * keeps the id and drops the token, which could still decide.
 */

static void
ngx_http_push_approval_redact(ngx_str_t *uri)
{
    u_char  *p, *last, *q;

    last = uri->data + uri->len;

    for (p = uri->data; p < last; p++) {

        if (*p == '?') {
            return;
        }

        if (*p != '.') {
            continue;
        }

        for (q = p + 1;
             q < last && ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')
                          || (*q >= '0' && *q <= '9') || *q == '-'
                          || *q == '_');
             q++)
        { /* void */ }

        if (q - p > 16) {
            /* the rest of the URI may hold the same token again */
            uri->len = p - uri->data;
            return;
        }
    }
}


/* a request's own event: the request's fields, and a reason */

void
ngx_http_push_approval_event_of(ngx_http_request_t *r, const char *name,
    ngx_str_t *user, const char *reason)
{
    ngx_http_push_approval_event_t  e;

    ngx_memzero(&e, sizeof(ngx_http_push_approval_event_t));

    ngx_http_push_approval_event_request(&e, r);

    if (user) {
        ngx_http_push_approval_clean_text(user,
                                          NGX_HTTP_PUSH_APPROVAL_USER_MAX,
                                          &e.user, r->pool);
    }

    if (reason) {
        e.reason.data = (u_char *) reason;
        e.reason.len = ngx_strlen(reason);
    }

    ngx_http_push_approval_event(name, &e);
}


/*
 * A malformed or forged token, id, form or header at an endpoint.  At most
 * NGX_HTTP_PUSH_APPROVAL_REJECTED_RATE a second per worker, so a flood
 * cannot fill the disk; the rest are counted in one line a second.
 */

void
ngx_http_push_approval_rejected(ngx_http_request_t *r, const char *reason)
{
    static time_t      second;
    static ngx_uint_t  n, dropped;

    if (second != ngx_time()) {
        second = ngx_time();
        n = 0;
        dropped = 0;
    }

    if (++n > NGX_HTTP_PUSH_APPROVAL_REJECTED_RATE) {
        /* not the request's log: its request line may carry a token */

        if (dropped++ == 0) {
            ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                          "push_approval: more than %d \"rejected\" events "
                          "a second, the rest of this second's are not "
                          "written", NGX_HTTP_PUSH_APPROVAL_REJECTED_RATE);
        }

        return;
    }

    ngx_http_push_approval_event_of(r, "rejected", NULL, reason);
}


/* the log phase: every request served under an approval */

ngx_int_t
ngx_http_push_approval_log_handler(ngx_http_request_t *r)
{
    ngx_time_t                      *tp;
    ngx_msec_int_t                   ms;
    ngx_http_push_approval_ctx_t    *ctx;
    ngx_http_push_approval_event_t   e;

    if (r != r->main || !ngx_http_push_approval_journal_on()) {
        return NGX_OK;
    }

    ctx = ngx_http_push_approval_get_ctx(r);

    if (ctx == NULL || ctx->approval.len == 0
        || (ctx->status != NGX_HTTP_PUSH_APPROVAL_ST_GRANTED
            && ctx->status != NGX_HTTP_PUSH_APPROVAL_ST_APPROVED))
    {
        return NGX_OK;
    }

    ngx_memzero(&e, sizeof(ngx_http_push_approval_event_t));

    ngx_http_push_approval_event_request(&e, r);

    e.id = ctx->approval;
    e.user = ctx->user;
    e.approver = ctx->approver;
    e.status = r->err_status ? r->err_status : r->headers_out.status;
    e.bytes = r->connection->sent;
    e.access = 1;

    tp = ngx_timeofday();
    ms = (ngx_msec_int_t) ((tp->sec - r->start_sec) * 1000
                           + (tp->msec - r->start_msec));
    e.request_time = (ngx_msec_t) ngx_max(ms, 0);

    ngx_http_push_approval_event("access", &e);

    return NGX_OK;
}


/* an event about a challenge, with its recorded context */

void
ngx_http_push_approval_event_about(
    ngx_http_push_approval_challenge_t *ch, const char *name,
    ngx_str_t *approver, const char *reason)
{
    ngx_http_push_approval_event_t  e;

    ngx_memzero(&e, sizeof(ngx_http_push_approval_event_t));
    ngx_http_push_approval_event_challenge(&e, ch);

    if (approver && approver->len) {
        e.approver = *approver;
    }

    if (reason) {
        e.reason.data = (u_char *) reason;
        e.reason.len = ngx_strlen(reason);
    }

    ngx_http_push_approval_event(name, &e);
}
