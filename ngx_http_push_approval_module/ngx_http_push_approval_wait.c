
/*
 * The wait endpoint (docs/flow.md): a requester holding the pending secret
 * waits here for the decision and, once approved, receives the approval
 * cookie.
 * The pending secret is good for one cookie.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_wait.h"
#include "ngx_http_push_approval_answer.h"
#include "ngx_http_push_approval_challenge.h"
#include "ngx_http_push_approval_cookie.h"
#include "ngx_http_push_approval_event.h"
#include "ngx_http_push_approval_headers.h"
#include "ngx_http_push_approval_keys.h"
#include "ngx_http_push_approval_output.h"
#include "ngx_http_push_approval_parse.h"
#include "ngx_http_push_approval_wake.h"
#include "ngx_http_push_approval_zone.h"


static ngx_int_t ngx_http_push_approval_wait_step(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
static void ngx_http_push_approval_wait_wake(
    ngx_http_push_approval_ctx_t *ctx);
static ngx_int_t ngx_http_push_approval_wait_approved(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
static ngx_int_t ngx_http_push_approval_pending_value(ngx_http_request_t *r,
    ngx_str_t *id_text, ngx_str_t *secret);


ngx_int_t
ngx_http_push_approval_wait_handler(ngx_http_request_t *r)
{
    u_char                               id[NGX_HTTP_PUSH_APPROVAL_ID_BYTES];
    ngx_int_t                            rc;
    ngx_str_t                            text, secret, arg;
    ngx_http_push_approval_ctx_t        *ctx;
    ngx_http_push_approval_zone_t       *zone;
    ngx_http_push_approval_loc_conf_t   *plcf;
    ngx_http_push_approval_main_conf_t  *pmcf;
    ngx_http_push_approval_challenge_t  *ch;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);
    pmcf = ngx_http_get_module_main_conf(r, ngx_http_push_approval_module);

    text.data = r->uri.data + plcf->endpoint_prefix.len;
    text.len = r->uri.len - plcf->endpoint_prefix.len;

    ch = ngx_pcalloc(r->pool, sizeof(ngx_http_push_approval_challenge_t));
    if (ch == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_push_approval_parse_id(&text, id) != NGX_OK
        || ngx_http_push_approval_pending_value(r, &text, &secret) != NGX_OK
        || ngx_http_push_approval_check_pending(pmcf->keyring, id, &secret)
           != NGX_OK
        || (zone = ngx_http_push_approval_challenge_find_any(r, id, ch))
           == NULL)
    {
        ngx_http_push_approval_rejected(r, "bad_pending");

        return ngx_http_push_approval_send_status(r,
                   NGX_HTTP_PUSH_APPROVAL_ST_NOT_FOUND, NULL, 0);
    }

    ctx = ngx_http_push_approval_create_ctx(r, 1);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->zone = zone;
    ctx->challenge = ch;
    ctx->on_wake = ngx_http_push_approval_wait_wake;

    if (ngx_http_arg(r, (u_char *) "r", 1, &arg) == NGX_OK) {
        if (ngx_http_push_approval_verify_path(pmcf->keyring, id, &arg,
                                               r->pool, &ctx->redirect)
            != NGX_OK)
        {
            ngx_http_push_approval_rejected(r, "bad_path");

            return ngx_http_push_approval_send_status(r,
                       NGX_HTTP_PUSH_APPROVAL_ST_BAD_REQUEST, &ch->id_text, 0);
        }
    }

    rc = ngx_http_push_approval_wait_step(r, ctx);

    if (rc == NGX_AGAIN) {
        r->main->count++;
        r->read_event_handler = ngx_http_test_reading;
        return NGX_DONE;
    }

    return rc;
}


/* the pending secret: the header, else the challenge's pending cookie */

static ngx_int_t
ngx_http_push_approval_pending_value(ngx_http_request_t *r,
    ngx_str_t *id_text, ngx_str_t *secret)
{
    u_char           name[sizeof("pa_pending_")
                          + NGX_HTTP_PUSH_APPROVAL_ID_LEN];
    ngx_str_t        n;
    ngx_table_elt_t *h;

    h = ngx_http_push_approval_find_header(r, "Push-Approval-Pending",
                                       sizeof("Push-Approval-Pending") - 1);
    if (h) {
        *secret = h->value;
        return NGX_OK;
    }

    n.data = name;
    n.len = ngx_sprintf(name, "pa_pending_%V", id_text) - name;

    return ngx_http_push_approval_headers_cookie_values(r, &n, secret, 1) == 1
           ? NGX_OK : NGX_ERROR;
}


static ngx_int_t
ngx_http_push_approval_wait_step(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    ngx_uint_t  state;

    if (ctx->shutdown) {
        ngx_http_push_approval_wake_unhold(ctx);
        return ngx_http_push_approval_send_status(r,
                   NGX_HTTP_PUSH_APPROVAL_ST_UNAVAILABLE,
                   &ctx->challenge->id_text, 0);
    }

    if (ngx_http_push_approval_challenge_state(ctx->zone, ctx->challenge->id,
                                               &state)
        != NGX_OK)
    {
        state = NGX_HTTP_PUSH_APPROVAL_TIMEOUT;
    }

    if (state <= NGX_HTTP_PUSH_APPROVAL_PENDING) {
        ngx_http_push_approval_wake_hold(r, ctx);
        return NGX_AGAIN;
    }

    ngx_http_push_approval_wake_unhold(ctx);
    r->read_event_handler = ngx_http_block_reading;

    if (state == NGX_HTTP_PUSH_APPROVAL_APPROVED) {
        return ngx_http_push_approval_wait_approved(r, ctx);
    }

    ctx->status = ngx_http_push_approval_answer_of_state(state);

    return ngx_http_push_approval_send_status(r, ctx->status,
                                              &ctx->challenge->id_text, 0);
}


static void
ngx_http_push_approval_wait_wake(ngx_http_push_approval_ctx_t *ctx)
{
    ngx_int_t            rc;
    ngx_http_request_t  *r;

    r = ctx->request;

    rc = ngx_http_push_approval_wait_step(r, ctx);

    if (rc != NGX_AGAIN) {
        ngx_http_finalize_request(r, rc);
    }
}


static ngx_int_t
ngx_http_push_approval_wait_approved(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    u_char                              *p;
    ngx_str_t                            clear, json, *to;
    ngx_table_elt_t                     *accept, *location;
    ngx_http_push_approval_challenge_t  *ch;
    ngx_http_push_approval_loc_conf_t   *plcf;

    ch = ctx->challenge;
    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);

    /* the header that clears the pending cookie once it is spent */

    clear.data = ngx_pnalloc(r->pool, sizeof("pa_pending_=; Path=; Max-Age=0; "
                                             "HttpOnly; SameSite=Strict")
                                      + ch->id_text.len
                                      + plcf->endpoint_prefix.len);
    if (clear.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(clear.data, "pa_pending_%V=; Path=%V; Max-Age=0; "
                    "HttpOnly; SameSite=Strict", &ch->id_text,
                    &plcf->endpoint_prefix);
    clear.len = p - clear.data;

    if (ngx_http_push_approval_challenge_lookup(ctx->zone, ch->id, ch, r->pool)
        != NGX_OK)
    {
        ctx->status = NGX_HTTP_PUSH_APPROVAL_ST_GONE;
        return ngx_http_push_approval_send_status(r, ctx->status,
                                                  &ch->id_text, 0);
    }

    /* an approval whose cookie would already have expired: nothing to mint */

    if (ch->decided + ch->ttl <= ngx_time()) {
        ctx->status = NGX_HTTP_PUSH_APPROVAL_ST_TIMEOUT;
        return ngx_http_push_approval_send_status(r, ctx->status,
                                                  &ch->id_text, 0);
    }

    /*
     * The pending secret is good for one cookie: spend it, and give it back
     * if the cookie cannot be set after all, so that a failure here never
     * leaves the requester with neither.
     */

    if (ngx_http_push_approval_challenge_redeem(ctx->zone, ch->id, 1)
        != NGX_OK)
    {
        ctx->status = NGX_HTTP_PUSH_APPROVAL_ST_GONE;
        return ngx_http_push_approval_send_status(r, ctx->status,
                                                  &ch->id_text, 0);
    }

    if (ngx_http_push_approval_set_cookie(r, ctx->zone, ch) != NGX_OK
        || ngx_http_push_approval_add_header(r, "Set-Cookie", &clear)
           != NGX_OK)
    {
        (void) ngx_http_push_approval_challenge_redeem(ctx->zone, ch->id, 0);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->status = NGX_HTTP_PUSH_APPROVAL_ST_APPROVED;
    ctx->approval = ch->id_text;
    ctx->user = ch->user;
    ctx->approver = ch->decided_by;

    accept = r->headers_in.accept;

    if (accept && ngx_strlcasestrn(accept->value.data,
                                   accept->value.data + accept->value.len,
                                   (u_char *) "application/json",
                                   sizeof("application/json") - 1 - 1))
    {
        ngx_str_set(&json, "{\"status\":\"approved\"}");
        return ngx_http_push_approval_send_json(r, NGX_HTTP_OK, &json);
    }

    to = ctx->redirect.len ? &ctx->redirect
                           : (ch->uri.len && ch->uri.len
                                             < NGX_HTTP_PUSH_APPROVAL_URI_MAX
                              && ch->uri.data[0] == '/'
                              && (ch->uri.len == 1
                                  || (ch->uri.data[1] != '/'
                                      && ch->uri.data[1] != '\\')))
                             ? &ch->uri : &ch->scope;

    location = ngx_list_push(&r->headers_out.headers);
    if (location == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    location->hash = 1;
#if (nginx_version >= 1023000)
    location->next = NULL;
#endif
    ngx_str_set(&location->key, "Location");
    location->value = *to;

    r->headers_out.location = location;

    return NGX_HTTP_SEE_OTHER;
}
