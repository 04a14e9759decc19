
/*
 * The gate: a precontent-phase handler, re-entered until it passes the
 * request on (NGX_DECLINED) or answers it.  See docs/internals.md.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_gate.h"
#include "ngx_http_push_approval_answer.h"
#include "ngx_http_push_approval_challenge.h"
#include "ngx_http_push_approval_cookie.h"
#include "ngx_http_push_approval_decide.h"
#include "ngx_http_push_approval_escape.h"
#include "ngx_http_push_approval_event.h"
#include "ngx_http_push_approval_headers.h"
#include "ngx_http_push_approval_keys.h"
#include "ngx_http_push_approval_limit.h"
#include "ngx_http_push_approval_notify.h"
#include "ngx_http_push_approval_parse.h"
#include "ngx_http_push_approval_requester.h"
#include "ngx_http_push_approval_wake.h"


/* how one request is answered: hold, page or two-step (docs/flow.md) */
typedef enum {
    NGX_HTTP_PUSH_APPROVAL_ANSWER_HOLD = 0,
    NGX_HTTP_PUSH_APPROVAL_ANSWER_PAGE,
    NGX_HTTP_PUSH_APPROVAL_ANSWER_TWO_STEP
} ngx_http_push_approval_answer_e;


static ngx_int_t ngx_http_push_approval_set_pending(ngx_http_request_t *r,
    ngx_http_push_approval_challenge_t *ch, ngx_str_t *pending);
static ngx_int_t ngx_http_push_approval_gate_wait_url(ngx_http_request_t *r,
    ngx_http_push_approval_challenge_t *ch, ngx_uint_t back, ngx_str_t *url);
static ngx_int_t ngx_http_push_approval_start(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_loc_conf_t *plcf);
static void ngx_http_push_approval_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_push_approval_gate_challenge(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_loc_conf_t *plcf);
static ngx_int_t ngx_http_push_approval_fill(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_loc_conf_t *plcf,
    ngx_str_t *user);
static ngx_uint_t ngx_http_push_approval_choose(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf);
static ngx_int_t ngx_http_push_approval_notified(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_loc_conf_t *plcf);
static ngx_int_t ngx_http_push_approval_gate_wait(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_loc_conf_t *plcf);
static ngx_int_t ngx_http_push_approval_gate_answer(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_uint_t status);
static ngx_int_t ngx_http_push_approval_refuse(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_uint_t status);
static ngx_int_t ngx_http_push_approval_subrequest(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf);
static ngx_uint_t ngx_http_push_approval_covers(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *passed,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_uint_t method);
static ngx_uint_t ngx_http_push_approval_same_people(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *a,
    ngx_http_push_approval_loc_conf_t *b);
static ngx_int_t ngx_http_push_approval_pass(ngx_http_push_approval_ctx_t *ctx,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_uint_t status);


ngx_int_t
ngx_http_push_approval_gate_handler(ngx_http_request_t *r)
{
    ngx_http_push_approval_ctx_t       *ctx;
    ngx_http_push_approval_loc_conf_t  *plcf;

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);

    if (r != r->main) {
        return ngx_http_push_approval_subrequest(r, plcf);
    }

    ctx = ngx_http_push_approval_get_ctx(r);

    /*
     * A passed request stays passed across its internal redirects, also
     * into another scope; but one redirected into a place of another zone,
     * or whose approver is another person, is gated there afresh.
     */

    if (ctx != NULL && ctx->gate == NGX_HTTP_PUSH_APPROVAL_GATE_PASSED
        && plcf->zone != NULL
        && !ngx_http_push_approval_covers(r, ctx->pass_conf, plcf, 0))
    {
        ctx = NULL;
    }

    if (ctx == NULL) {
        if (plcf->zone == NULL
            || plcf->endpoint != NGX_HTTP_PUSH_APPROVAL_EP_NONE
            || !(r->method & plcf->methods))
        {
            return NGX_DECLINED;
        }

        ctx = ngx_http_push_approval_create_ctx(r, 0);
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->zone = plcf->zone;
    }

    switch (ctx->gate) {

    case NGX_HTTP_PUSH_APPROVAL_GATE_START:
        return ngx_http_push_approval_start(r, ctx, plcf);

    case NGX_HTTP_PUSH_APPROVAL_GATE_BODY:
        if (!ctx->body_read) {
            return NGX_AGAIN;
        }

        return ngx_http_push_approval_gate_challenge(r, ctx, plcf);

    case NGX_HTTP_PUSH_APPROVAL_GATE_NOTIFY:
        if (!ctx->notify_done) {
            return NGX_AGAIN;
        }

        return ngx_http_push_approval_notified(r, ctx, plcf);

    case NGX_HTTP_PUSH_APPROVAL_GATE_WAIT:
        return ngx_http_push_approval_gate_wait(r, ctx, plcf);

    default: /* PASSED, ANSWERED */
        return NGX_DECLINED;
    }
}


/*
 * A subrequest (SSI, addition, auth_request, mirror) into a protected
 * place is served only under an approval its main request passed with
 * and that covers the place.  nginx's own access modules skip
 * subrequests; this gate does not, or any page that includes a protected
 * file would read it with no identity and no push.
 */

static ngx_int_t
ngx_http_push_approval_subrequest(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf)
{
    ngx_http_request_t            *pr;
    ngx_http_push_approval_ctx_t  *ctx, *mctx;

    if (plcf->zone == NULL
        || plcf->endpoint != NGX_HTTP_PUSH_APPROVAL_EP_NONE
        || !(r->method & plcf->methods))
    {
        return NGX_DECLINED;
    }

    mctx = ngx_http_push_approval_get_ctx(r->main);

    if (mctx != NULL) {

        /* the push itself, and anything it makes, is never gated */

        for (pr = r; pr != r->main && pr != NULL; pr = pr->parent) {
            if (pr == mctx->notify_sr) {
                return NGX_DECLINED;
            }
        }

        if (mctx->gate == NGX_HTTP_PUSH_APPROVAL_GATE_PASSED
            && ngx_http_push_approval_covers(r->main, mctx->pass_conf, plcf,
                                             r->method))
        {
            return NGX_DECLINED;
        }
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_push_approval_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;
    ctx->gate = NGX_HTTP_PUSH_APPROVAL_GATE_ANSWERED;
    ctx->status = NGX_HTTP_PUSH_APPROVAL_ST_SUBREQUEST;
    ngx_http_set_ctx(r, ctx, ngx_http_push_approval_module);

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "push_approval: subrequest \"%V\" refused: its main "
                  "request has not passed a gate covering it", &r->uri);

    ngx_http_push_approval_rejected(r, "subrequest");

    return NGX_HTTP_FORBIDDEN;
}


/*
 * Whether an approval that passed in one protected place covers another:
 * the same zone, user and approver and, for a subrequest (method not 0),
 * the same scope and a method the approval unlocks.  The people are
 * evaluated for the main request only when the two places name them with
 * different directives (after a redirect or in a subrequest, never on the
 * cookie path).
 */

static ngx_uint_t
ngx_http_push_approval_covers(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *passed,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_uint_t method)
{
    if (passed == NULL || passed->zone != plcf->zone) {
        return 0;
    }

    if (method
        && (!(method & passed->methods)
            || passed->scope.len != plcf->scope.len
            || ngx_strncmp(passed->scope.data, plcf->scope.data,
                           plcf->scope.len) != 0))
    {
        return 0;
    }

    if (passed->user == plcf->user && passed->approver == plcf->approver) {
        return 1;
    }

    return ngx_http_push_approval_same_people(r, passed, plcf);
}


static ngx_uint_t
ngx_http_push_approval_same_people(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *a, ngx_http_push_approval_loc_conf_t *b)
{
    ngx_str_t  user_a, user_b, approver_a, approver_b;

    if (ngx_http_complex_value(r, a->user, &user_a) != NGX_OK
        || ngx_http_complex_value(r, b->user, &user_b) != NGX_OK
        || ngx_http_push_approval_approver(r, a, &user_a, &approver_a)
           != NGX_OK
        || ngx_http_push_approval_approver(r, b, &user_b, &approver_b)
           != NGX_OK)
    {
        return 0;
    }

    return user_a.len == user_b.len
           && ngx_strncmp(user_a.data, user_b.data, user_a.len) == 0
           && approver_a.len == approver_b.len
           && ngx_strncmp(approver_a.data, approver_b.data, approver_a.len)
              == 0;
}


/* the request goes on: where it passed is kept for its subrequests */

static ngx_int_t
ngx_http_push_approval_pass(ngx_http_push_approval_ctx_t *ctx,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_uint_t status)
{
    ctx->gate = NGX_HTTP_PUSH_APPROVAL_GATE_PASSED;
    ctx->status = status;
    ctx->pass_conf = plcf;

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_push_approval_start(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_loc_conf_t *plcf)
{
    ngx_int_t         rc;
    ngx_str_t         user;
    ngx_table_elt_t  *h;

    rc = ngx_http_push_approval_check_cookie(r, plcf, ctx);

    if (rc == NGX_OK) {
        return ngx_http_push_approval_pass(ctx, plcf,
                                           NGX_HTTP_PUSH_APPROVAL_ST_GRANTED);
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_complex_value(r, plcf->user, &user) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->reason != NGX_HTTP_PUSH_APPROVAL_RS_NONE) {
        ngx_http_push_approval_event_of(r, "cookie_rejected", &user,
            (char *) ngx_http_push_approval_reason_name(ctx->reason)->data);
    }

    if (user.len == 0) {
        return ngx_http_push_approval_gate_answer(r, ctx,
                                         NGX_HTTP_PUSH_APPROVAL_ST_NO_IDENTITY);
    }

    h = ngx_http_push_approval_find_header(r, "Sec-Fetch-Site",
                                           sizeof("Sec-Fetch-Site") - 1);

    if (h && ((h->value.len == 10
               && ngx_strncasecmp(h->value.data, (u_char *) "cross-site", 10)
                  == 0)
              || (h->value.len == 9
                  && ngx_strncasecmp(h->value.data, (u_char *) "same-site", 9)
                     == 0)))
    {
        ctx->gate = NGX_HTTP_PUSH_APPROVAL_GATE_ANSWERED;
        ctx->status = NGX_HTTP_PUSH_APPROVAL_ST_CROSS_SITE;
        ngx_http_push_approval_event_of(r, "cross_site", &user, NULL);
        rc = ngx_http_push_approval_send_cross_site(r);
        ngx_http_finalize_request(r, rc);
        return NGX_DONE;
    }

    if (r->headers_in.content_length_n <= 0 && !r->headers_in.chunked) {
        return ngx_http_push_approval_gate_challenge(r, ctx, plcf);
    }

    /* read the body before pausing, as the mirror module does */

    ctx->gate = NGX_HTTP_PUSH_APPROVAL_GATE_BODY;
    ctx->reading = 1;

    rc = ngx_http_read_client_request_body(r,
                                         ngx_http_push_approval_body_handler);

    ctx->reading = 0;

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    ngx_http_finalize_request(r, NGX_DONE);

    /*
     * A body that was already in (or kept across a redirect) is read at
     * once: go on only now that the reading's reference is dropped, so
     * that the push sees the request count it will see at its end.
     */

    if (ctx->body_read) {
        return ngx_http_push_approval_gate_challenge(r, ctx, plcf);
    }

    return NGX_DONE;
}


static void
ngx_http_push_approval_body_handler(ngx_http_request_t *r)
{
    ngx_http_push_approval_ctx_t  *ctx;

    ctx = ngx_http_push_approval_get_ctx(r);
    ctx->body_read = 1;

    r->preserve_body = 1;
    r->write_event_handler = ngx_http_core_run_phases;

    if (ctx->reading) {
        return;
    }

    ngx_http_core_run_phases(r);
}


static ngx_int_t
ngx_http_push_approval_gate_challenge(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_loc_conf_t *plcf)
{
    ngx_int_t                            rc;
    ngx_str_t                            user;
    ngx_uint_t                           status;
    ngx_http_push_approval_challenge_t  *ch;

    if (ngx_http_complex_value(r, plcf->user, &user) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ch = ngx_pcalloc(r->pool, sizeof(ngx_http_push_approval_challenge_t));
    if (ch == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->challenge = ch;

    if (ngx_http_push_approval_fill(r, ctx, plcf, &user) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->read_event_handler = ngx_http_test_reading;

    ngx_http_push_approval_who(ctx->zone, &user, ch->who);
    ch->lockout_n = plcf->lockout_n;
    ch->lockout_period = plcf->lockout_period;

    if (ngx_http_push_approval_limit(ctx->zone, plcf, ch->who, 0,
                                     &status, &ctx->retry)
        == NGX_DECLINED)
    {
        return ngx_http_push_approval_refuse(r, ctx, status);
    }

    if (ch->joinable) {
        rc = ngx_http_push_approval_challenge_join(ctx->zone, ch, r->pool);

        if (rc == NGX_OK) {
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "push_approval: joined a pending challenge");
            ctx->gate = NGX_HTTP_PUSH_APPROVAL_GATE_WAIT;
            return ngx_http_push_approval_gate_wait(r, ctx, plcf);
        }

        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    rc = ngx_http_push_approval_limit(ctx->zone, plcf, ch->who, 1,
                                      &status, &ctx->retry);

    if (rc == NGX_DECLINED) {
        return ngx_http_push_approval_refuse(r, ctx, status);
    }

    if (rc == NGX_OK) {
        rc = ngx_http_push_approval_challenge_create(ctx->zone, ch, r->pool);
    }

    if (rc == NGX_BUSY) {
        ctx->gate = NGX_HTTP_PUSH_APPROVAL_GATE_WAIT;     /* lost a race */
        return ngx_http_push_approval_gate_wait(r, ctx, plcf);
    }

    if (rc == NGX_OK) {
        ngx_http_push_approval_event_about(ch, "challenge_created",
                                                    NULL, NULL);
    }

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "push_approval: zone \"%V\" is full",
                      &ctx->zone->name);
        return ngx_http_push_approval_gate_answer(r, ctx,
                                         NGX_HTTP_PUSH_APPROVAL_ST_UNAVAILABLE);
    }

    ctx->creator = 1;
    ctx->gate = NGX_HTTP_PUSH_APPROVAL_GATE_NOTIFY;

    if (ngx_http_push_approval_notify(r, ctx, plcf) != NGX_OK) {
        ctx->notify_done = 1;
        ctx->notify_status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return ngx_http_push_approval_notified(r, ctx, plcf);
    }

    return NGX_AGAIN;
}


/* everything the challenge records about this request */

static ngx_int_t
ngx_http_push_approval_fill(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_loc_conf_t *plcf,
    ngx_str_t *user)
{
    u_char                               code[8];
    ngx_str_t                            v, approver, server, parts[7];
    ngx_uint_t                           self;
    ngx_http_push_approval_key_t        *key;
    ngx_http_push_approval_challenge_t  *ch;
    ngx_http_push_approval_main_conf_t  *pmcf;

    ch = ctx->challenge;
    pmcf = ngx_http_get_module_main_conf(r, ngx_http_push_approval_module);
    key = &pmcf->keyring->keys[0];

    if (ngx_http_push_approval_approver(r, plcf, user, &approver) != NGX_OK) {
        return NGX_ERROR;
    }

    self = (approver.len == user->len
            && ngx_strncmp(approver.data, user->data, user->len) == 0);

    ngx_http_push_approval_server_name(r, &server);

    ngx_http_push_approval_clean_text(user, NGX_HTTP_PUSH_APPROVAL_USER_MAX,
                                      &ch->user, r->pool);
    ngx_http_push_approval_clean_text(&approver,
                                      NGX_HTTP_PUSH_APPROVAL_USER_MAX,
                                      &ch->approver, r->pool);
    ngx_http_push_approval_clean_text(&server,
                                      NGX_HTTP_PUSH_APPROVAL_SERVER_MAX,
                                      &ch->server, r->pool);
    ch->scope = plcf->scope;
    ngx_http_push_approval_clean_text(&r->connection->addr_text,
                                      NGX_HTTP_PUSH_APPROVAL_CLIENT_MAX,
                                      &ch->client, r->pool);

    if (r->headers_in.user_agent) {
        ngx_http_push_approval_clean_text(&r->headers_in.user_agent->value,
                                          NGX_HTTP_PUSH_APPROVAL_AGENT_MAX,
                                          &ch->agent, r->pool);
    }

    ngx_http_push_approval_clean_text(&r->method_name,
                                      NGX_HTTP_PUSH_APPROVAL_METHOD_MAX,
                                      &ch->method, r->pool);
    ngx_http_push_approval_clean_text(&r->unparsed_uri,
                                      NGX_HTTP_PUSH_APPROVAL_URI_MAX,
                                      &ch->uri, r->pool);

    if (plcf->unlocks) {
        if (ngx_http_complex_value(r, plcf->unlocks, &v) != NGX_OK) {
            return NGX_ERROR;
        }

        ngx_http_push_approval_clean_text(&v,
                                          NGX_HTTP_PUSH_APPROVAL_UNLOCKS_MAX,
                                          &ch->unlocks, r->pool);
    }

    if (ch->unlocks.len == 0
        && ngx_http_push_approval_default_unlocks(r, plcf, ch) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_push_approval_cookie_name(r, plcf, &server, &ch->cookie)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ch->cookie_flags = ngx_http_push_approval_cookie_flags(r, plcf);
    ch->ttl = plcf->ttl;
    ch->methods = (uint32_t) plcf->methods;
    ch->bind = plcf->bind;
    ch->separate = plcf->separate;
    ch->created = ngx_time();
    ch->expires = ch->created + plcf->wait;
    ch->state = NGX_HTTP_PUSH_APPROVAL_NOTIFYING;

    (void) ngx_http_push_approval_keyed_hash_field(&key->user_mac, "user",
                                                   user, ch->user_hash);
    ngx_http_push_approval_client_hashes(r, &key->user_mac, ch->ip_hash,
                                         ch->agent_hash);

    ch->answer = ngx_http_push_approval_choose(r, plcf);
    ch->code_required = (plcf->code_digits != 0
                         && (ch->answer == NGX_HTTP_PUSH_APPROVAL_ANSWER_PAGE
                             || self));

    if (ch->code_required
        && ch->answer == NGX_HTTP_PUSH_APPROVAL_ANSWER_HOLD)
    {
        ch->answer = NGX_HTTP_PUSH_APPROVAL_ANSWER_TWO_STEP;
    }

    ch->joinable = (ch->answer == NGX_HTTP_PUSH_APPROVAL_ANSWER_HOLD
                    && (plcf->bind & NGX_HTTP_PUSH_APPROVAL_BIND_IP)
                    && (plcf->bind & NGX_HTTP_PUSH_APPROVAL_BIND_AGENT));

    if (ch->joinable) {
        parts[0] = *user;
        parts[1] = server;
        parts[2] = plcf->scope;
        parts[3].data = (u_char *) &ch->methods;
        parts[3].len = sizeof(ch->methods);
        parts[4] = approver;
        parts[5] = r->connection->addr_text;
        parts[6] = r->headers_in.user_agent
                   ? r->headers_in.user_agent->value : ch->method;
        {
            u_char  mac[NGX_HTTP_PUSH_APPROVAL_MAC_BYTES];

            (void) ngx_http_push_approval_keyed_hmac(&key->user_mac, parts, 7,
                                                     mac);
            ngx_memcpy(ch->join_key, mac, NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);
        }
    }

    if (ngx_http_push_approval_random(ch->id, NGX_HTTP_PUSH_APPROVAL_ID_BYTES)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    v.data = ch->id;
    v.len = NGX_HTTP_PUSH_APPROVAL_ID_BYTES;
    ch->id_text.data = ngx_pnalloc(r->pool, NGX_HTTP_PUSH_APPROVAL_ID_LEN + 2);
    if (ch->id_text.data == NULL) {
        return NGX_ERROR;
    }

    ngx_http_push_approval_b64url_encode(&ch->id_text, &v);

    if (!ch->code_required) {
        return NGX_OK;
    }

    if (ngx_http_push_approval_random_code(code, plcf->code_digits)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ch->code.len = plcf->code_digits;
    ch->code.data = ngx_pnalloc(r->pool, ch->code.len);
    if (ch->code.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ch->code.data, code, ch->code.len);
    ngx_explicit_memzero(code, sizeof(code));

    ngx_http_push_approval_code_mac(key, ch->id, &ch->code, ch->code_mac);

    return NGX_OK;
}


static ngx_uint_t
ngx_http_push_approval_choose(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf)
{
    if (plcf->mode == NGX_HTTP_PUSH_APPROVAL_MODE_HOLD) {
        return NGX_HTTP_PUSH_APPROVAL_ANSWER_HOLD;
    }

    if (plcf->mode == NGX_HTTP_PUSH_APPROVAL_MODE_PAGE) {
        return (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))
               ? NGX_HTTP_PUSH_APPROVAL_ANSWER_PAGE
               : NGX_HTTP_PUSH_APPROVAL_ANSWER_HOLD;
    }

    return ngx_http_push_approval_accepts_html(r)
           ? NGX_HTTP_PUSH_APPROVAL_ANSWER_PAGE
           : NGX_HTTP_PUSH_APPROVAL_ANSWER_HOLD;
}


/* the notify subrequest has finished */

static ngx_int_t
ngx_http_push_approval_notified(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_loc_conf_t *plcf)
{
    ngx_uint_t                           ok;
    ngx_str_t                            wait, pending;
    ngx_http_push_approval_challenge_t  *ch;

    ngx_http_push_approval_notify_release(ctx, 0);

    ch = ctx->challenge;
    ok = (ctx->notify_status >= 200 && ctx->notify_status < 300);

    if (!ok) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "push_approval: notify \"%V\" answered %i, "
                      "the challenge is failed",
                      &plcf->notify, ctx->notify_status);
    }

    ngx_http_push_approval_event_about(ch,
                                                ok ? "notified" : "push_failed",
                                                NULL, NULL);

    if (ngx_http_push_approval_decide_notified(ctx->zone, ch->id, ok) == NGX_OK
        && !ok)
    {
        /* joined requests in any worker end with push_failed too */
        ngx_http_push_approval_wake_broadcast(ctx->zone, ch->id);
    }

    if (!ok) {
        return ngx_http_push_approval_gate_answer(r, ctx,
                                         NGX_HTTP_PUSH_APPROVAL_ST_PUSH_FAILED);
    }

    if (ch->answer == NGX_HTTP_PUSH_APPROVAL_ANSWER_HOLD) {
        ctx->gate = NGX_HTTP_PUSH_APPROVAL_GATE_WAIT;
        return ngx_http_push_approval_gate_wait(r, ctx, plcf);
    }

    ctx->gate = NGX_HTTP_PUSH_APPROVAL_GATE_ANSWERED;
    ctx->status = NGX_HTTP_PUSH_APPROVAL_ST_PENDING;

    if (ngx_http_push_approval_set_pending(r, ch, &pending) != NGX_OK
        || ngx_http_push_approval_gate_wait_url(r, ch,
               ch->answer == NGX_HTTP_PUSH_APPROVAL_ANSWER_PAGE, &wait)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ch->answer == NGX_HTTP_PUSH_APPROVAL_ANSWER_PAGE) {
        ngx_http_finalize_request(r,
            ngx_http_push_approval_send_interstitial(r, plcf, ch, &wait));
        return NGX_DONE;
    }

    ngx_http_finalize_request(r,
        ngx_http_push_approval_send_two_step(r, plcf, ch, &wait, &pending));
    return NGX_DONE;
}


static ngx_int_t
ngx_http_push_approval_gate_wait(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_loc_conf_t *plcf)
{
    ngx_uint_t                           state;
    ngx_http_push_approval_challenge_t  *ch;

    ch = ctx->challenge;

    if (ctx->shutdown) {
        return ngx_http_push_approval_gate_answer(r, ctx,
                                         NGX_HTTP_PUSH_APPROVAL_ST_UNAVAILABLE);
    }

    if (ngx_http_push_approval_challenge_state(ctx->zone, ch->id, &state)
        != NGX_OK)
    {
        state = NGX_HTTP_PUSH_APPROVAL_TIMEOUT;
    }

    switch (state) {

    case NGX_HTTP_PUSH_APPROVAL_NOTIFYING:
    case NGX_HTTP_PUSH_APPROVAL_PENDING:
        ctx->status = NGX_HTTP_PUSH_APPROVAL_ST_PENDING;
        ngx_http_push_approval_wake_hold(r, ctx);
        return NGX_AGAIN;

    case NGX_HTTP_PUSH_APPROVAL_APPROVED:
        break;

    default:
        return ngx_http_push_approval_gate_answer(r, ctx,
                   ngx_http_push_approval_answer_of_state(state));
    }

    ngx_http_push_approval_wake_unhold(ctx);

    if (ngx_http_push_approval_challenge_lookup(ctx->zone, ch->id, ch, r->pool)
        != NGX_OK
        || ngx_http_push_approval_set_cookie(r, ctx->zone, ch) != NGX_OK)
    {
        return ngx_http_push_approval_gate_answer(r, ctx,
                                         NGX_HTTP_PUSH_APPROVAL_ST_UNAVAILABLE);
    }

    ctx->approval = ch->id_text;
    ctx->approver = ch->decided_by;
    ctx->user = ch->user;

    r->read_event_handler = ngx_http_block_reading;

    return ngx_http_push_approval_pass(ctx, plcf,
                                       NGX_HTTP_PUSH_APPROVAL_ST_APPROVED);
}


/* limited or locked: no challenge, an event and a 429 */

static ngx_int_t
ngx_http_push_approval_refuse(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_uint_t status)
{
    ngx_http_push_approval_event_of(r,
        status == NGX_HTTP_PUSH_APPROVAL_ST_LOCKED ? "locked" : "limited",
        &ctx->challenge->user, NULL);

    ctx->challenge = NULL;

    return ngx_http_push_approval_gate_answer(r, ctx, status);
}


static ngx_int_t
ngx_http_push_approval_gate_answer(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_uint_t status)
{
    ngx_str_t  *id;

    ngx_http_push_approval_wake_unhold(ctx);

    ctx->gate = NGX_HTTP_PUSH_APPROVAL_GATE_ANSWERED;
    ctx->status = status;

    id = ctx->challenge ? &ctx->challenge->id_text : NULL;

    r->read_event_handler = ngx_http_block_reading;

    ngx_http_finalize_request(r,
        ngx_http_push_approval_send_status(r, status, id, ctx->retry));

    return NGX_DONE;
}


void
ngx_http_push_approval_cleanup(void *data)
{
    ngx_http_push_approval_ctx_t  *ctx = data;

    ngx_uint_t  ok;

    ngx_http_push_approval_wake_unhold(ctx);

    if (ctx->creator && ctx->gate == NGX_HTTP_PUSH_APPROVAL_GATE_NOTIFY) {
        /*
         * The request went away before it saw the notify status: a push
         * that is out (2xx) lets the challenge go on without it, any other
         * ending fails the challenge closed.
         */

        ok = ctx->notify_done
             && ctx->notify_status >= 200 && ctx->notify_status < 300;

        if (ngx_http_push_approval_decide_notified(ctx->zone,
                                                   ctx->challenge->id, ok)
                == NGX_OK
            && !ok)
        {
            ngx_http_push_approval_wake_broadcast(ctx->zone,
                                                  ctx->challenge->id);
        }
    }

    /* the request's cleanups have finalized the subrequest's upstream */

    ngx_http_push_approval_notify_release(ctx, 1);
}


/* the pending cookie, and the secret it carries */

static ngx_int_t
ngx_http_push_approval_set_pending(ngx_http_request_t *r,
    ngx_http_push_approval_challenge_t *ch, ngx_str_t *pending)
{
    u_char                              *p;
    ngx_str_t                            header;
    ngx_http_push_approval_srv_conf_t   *pscf;
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ngx_http_get_module_main_conf(r, ngx_http_push_approval_module);
    pscf = ngx_http_get_module_srv_conf(r, ngx_http_push_approval_module);

    pending->data = ngx_pnalloc(r->pool, NGX_HTTP_PUSH_APPROVAL_TOKEN_LEN + 1);
    if (pending->data == NULL) {
        return NGX_ERROR;
    }

    ngx_http_push_approval_pending_secret(&pmcf->keyring->keys[0], ch->id,
                                          pending->data);
    pending->len = NGX_HTTP_PUSH_APPROVAL_TOKEN_LEN;

    header.data = ngx_pnalloc(r->pool, sizeof("pa_pending_=; Path=; Max-Age=; "
                                              "HttpOnly; SameSite=Strict; "
                                              "Secure")
                                       + ch->id_text.len + pending->len
                                       + pscf->wait_prefix.len
                                       + NGX_TIME_T_LEN);
    if (header.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(header.data, "pa_pending_%V=%V; Path=%V; Max-Age=%T; "
                    "HttpOnly; SameSite=Strict", &ch->id_text, pending,
                    &pscf->wait_prefix, ch->expires - ngx_time());

    if (ch->cookie_flags & NGX_HTTP_PUSH_APPROVAL_COOKIE_SECURE) {
        p = ngx_cpymem(p, "; Secure", sizeof("; Secure") - 1);
    }

    header.len = p - header.data;

    return ngx_http_push_approval_add_header(r, "Set-Cookie", &header);
}


/* L{id}, and for pages ?r= with the page's own path, signed */

static ngx_int_t
ngx_http_push_approval_gate_wait_url(ngx_http_request_t *r,
    ngx_http_push_approval_challenge_t *ch, ngx_uint_t back, ngx_str_t *url)
{
    u_char                              *p;
    ngx_str_t                            sig;
    ngx_http_push_approval_srv_conf_t   *pscf;
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ngx_http_get_module_main_conf(r, ngx_http_push_approval_module);
    pscf = ngx_http_get_module_srv_conf(r, ngx_http_push_approval_module);

    ngx_str_null(&sig);

    /* "//host/..." would not verify as a path on this server: no r= */

    if (back && r->unparsed_uri.len <= 2048
        && !(r->unparsed_uri.len > 1
             && (r->unparsed_uri.data[1] == '/'
                 || r->unparsed_uri.data[1] == '\\'))
        && ngx_http_push_approval_sign_path(&pmcf->keyring->keys[0], ch->id,
                                            &r->unparsed_uri, r->pool, &sig)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    url->data = ngx_pnalloc(r->pool, pscf->wait_prefix.len + ch->id_text.len
                                     + sizeof("?r=") + sig.len);
    if (url->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(url->data, pscf->wait_prefix.data, pscf->wait_prefix.len);
    p = ngx_cpymem(p, ch->id_text.data, ch->id_text.len);

    if (sig.len) {
        p = ngx_cpymem(p, "?r=", 3);
        p = ngx_cpymem(p, sig.data, sig.len);
    }

    url->len = p - url->data;

    return NGX_OK;
}
