
/*
 * Audit events (interface.md §7): what happened, as one JSON object, to
 * the journal.  Every value is cleaned of control characters, truncated
 * and JSON-escaped; no cookie value, token, pending secret or code is ever
 * a field.
 */


#include "ngx_http_push_approval_module.h"


#define NGX_HTTP_PUSH_APPROVAL_EVENT_MAX      (16 * 1024)
#define NGX_HTTP_PUSH_APPROVAL_REJECTED_RATE  50   /* a second, a worker */


static u_char *ngx_http_push_approval_event_str(u_char *p, u_char *last,
    const char *name, ngx_str_t *s);
static void ngx_http_push_approval_redact(ngx_str_t *uri);


static u_char
    ngx_http_push_approval_event_buf[NGX_HTTP_PUSH_APPROVAL_EVENT_MAX];


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

    p = ngx_http_push_approval_event_str(p, last, "id", &e->id);
    p = ngx_http_push_approval_event_str(p, last, "user", &e->user);
    p = ngx_http_push_approval_event_str(p, last, "approver", &e->approver);
    p = ngx_http_push_approval_event_str(p, last, "client", &e->client);
    p = ngx_http_push_approval_event_str(p, last, "agent", &e->agent);
    p = ngx_http_push_approval_event_str(p, last, "server", &e->server);
    p = ngx_http_push_approval_event_str(p, last, "scope", &e->scope);
    p = ngx_http_push_approval_event_str(p, last, "unlocks", &e->unlocks);
    p = ngx_http_push_approval_event_str(p, last, "method", &e->method);
    p = ngx_http_push_approval_event_str(p, last, "uri", &e->uri);
    p = ngx_http_push_approval_event_str(p, last, "reason", &e->reason);

    if (e->status) {
        p = ngx_slprintf(p, last, "\"status\":%ui,", e->status);
    }

    if (e->access) {
        p = ngx_slprintf(p, last, "\"bytes\":%O,\"request_time\":%T.%03M,",
                         e->bytes, (time_t) e->request_time / 1000,
                         e->request_time % 1000);
    }

    fields.data = ngx_http_push_approval_event_buf;
    fields.len = p - fields.data;

    if (fields.len) {
        fields.len--;   /* the last comma */
    }

    ngx_http_push_approval_journal_event(name, &fields);
}


/* "name":"value", when there is room for the whole escaped value */

static u_char *
ngx_http_push_approval_event_str(u_char *p, u_char *last, const char *name,
    ngx_str_t *s)
{
    size_t  n;

    if (s->len == 0) {
        return p;
    }

    n = ngx_strlen(name);

    if ((size_t) (last - p) < n + 6 + ngx_http_push_approval_json_len(s)) {
        return p;
    }

    *p++ = '"';
    p = ngx_cpymem(p, name, n);
    p = ngx_cpymem(p, "\":\"", 3);
    p = ngx_http_push_approval_json_escape(p, s);
    *p++ = '"';
    *p++ = ',';

    return p;
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
    ngx_str_t  server;

    ngx_http_push_approval_clean_text(&r->connection->addr_text,
                                      NGX_HTTP_PUSH_APPROVAL_CLIENT_MAX,
                                      &e->client, r->pool);

    if (r->headers_in.user_agent) {
        ngx_http_push_approval_clean_text(&r->headers_in.user_agent->value,
                                          NGX_HTTP_PUSH_APPROVAL_AGENT_MAX,
                                          &e->agent, r->pool);
    }

    ngx_http_push_approval_server_name(r, &server);
    ngx_http_push_approval_clean_text(&server,
                                      NGX_HTTP_PUSH_APPROVAL_SERVER_MAX,
                                      &e->server, r->pool);
    ngx_http_push_approval_clean_text(&r->method_name,
                                      NGX_HTTP_PUSH_APPROVAL_METHOD_MAX,
                                      &e->method, r->pool);
    ngx_http_push_approval_clean_text(&r->unparsed_uri,
                                      NGX_HTTP_PUSH_APPROVAL_URI_MAX,
                                      &e->uri, r->pool);

    ngx_http_push_approval_redact(&e->uri);
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
        if (dropped++ == 0) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
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
