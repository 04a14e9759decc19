
/*
 * The approve endpoint (docs/flow.md, "The decision"): the approver's
 * page and decisions.
 * GET shows, never decides; POST decides with a token bound to the
 * challenge and to the kinds of decision it may take.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_approve.h"
#include "ngx_http_push_approval_answer.h"
#include "ngx_http_push_approval_approve_page.h"
#include "ngx_http_push_approval_challenge.h"
#include "ngx_http_push_approval_decide.h"
#include "ngx_http_push_approval_escape.h"
#include "ngx_http_push_approval_event.h"
#include "ngx_http_push_approval_headers.h"
#include "ngx_http_push_approval_keys.h"
#include "ngx_http_push_approval_limit.h"
#include "ngx_http_push_approval_parse.h"
#include "ngx_http_push_approval_wake.h"
#include "ngx_http_push_approval_zone.h"


typedef struct {
    u_char                               id[NGX_HTTP_PUSH_APPROVAL_ID_BYTES];
    ngx_uint_t                           kind;
    ngx_uint_t                           bearer;
    ngx_http_push_approval_zone_t       *zone;
    ngx_http_push_approval_challenge_t  *ch;
} ngx_http_push_approval_approve_t;


static ngx_int_t ngx_http_push_approval_preflight(ngx_http_request_t *r);
static ngx_int_t ngx_http_push_approval_approve_parse_target(
    ngx_http_request_t *r, ngx_http_push_approval_approve_t *ap);
static void ngx_http_push_approval_approve_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_push_approval_approve_decide(ngx_http_request_t *r,
    ngx_http_push_approval_approve_t *ap);
static ngx_int_t ngx_http_push_approval_read_form(ngx_http_request_t *r,
    ngx_str_t *body);
static ngx_int_t ngx_http_push_approval_refused(ngx_http_request_t *r,
    ngx_http_push_approval_approve_t *ap, ngx_uint_t http_status,
    ngx_uint_t status, const char *reason);
static ngx_int_t ngx_http_push_approval_separate(
    ngx_http_push_approval_zone_t *zone,
    ngx_http_push_approval_challenge_t *ch, ngx_str_t *identity);


ngx_int_t
ngx_http_push_approval_approve_handler(ngx_http_request_t *r)
{
    ngx_int_t                          rc;
    ngx_http_push_approval_ctx_t      *ctx;
    ngx_http_push_approval_approve_t  *ap;

    if (r->method == NGX_HTTP_OPTIONS) {
        return ngx_http_push_approval_preflight(r);
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD|NGX_HTTP_POST))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    ap = ngx_pcalloc(r->pool, sizeof(ngx_http_push_approval_approve_t));
    if (ap == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_push_approval_approve_parse_target(r, ap) != NGX_OK) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        ngx_http_push_approval_rejected(r, "bad_token");

        return ngx_http_push_approval_send_result(r, NGX_HTTP_NOT_FOUND,
                   NGX_HTTP_PUSH_APPROVAL_ST_NOT_FOUND, NULL);
    }

    if (r->method != NGX_HTTP_POST) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_push_approval_send_approve_page(r, ap->ch, &r->uri);
    }

    if (r->headers_in.content_length_n > NGX_HTTP_PUSH_APPROVAL_FORM_MAX) {
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    ctx = ngx_http_push_approval_create_ctx(r, 1);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->data = ap;

    rc = ngx_http_read_client_request_body(r,
                                        ngx_http_push_approval_approve_body);
    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/* ntfy's web app posts its action buttons with fetch: allow it, no cookies */

static ngx_int_t
ngx_http_push_approval_preflight(ngx_http_request_t *r)
{
    ngx_int_t  rc;
    ngx_str_t  v;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ngx_str_set(&v, "*");
    if (ngx_http_push_approval_add_header(r, "Access-Control-Allow-Origin", &v)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&v, "POST");
    if (ngx_http_push_approval_add_header(r, "Access-Control-Allow-Methods",
                                          &v)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&v, "Authorization, Content-Type");
    if (ngx_http_push_approval_add_header(r, "Access-Control-Allow-Headers",
                                          &v)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&v, "600");
    if (ngx_http_push_approval_add_header(r, "Access-Control-Max-Age", &v)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = NGX_HTTP_NO_CONTENT;
    r->headers_out.content_length_n = 0;
    r->header_only = 1;

    return ngx_http_send_header(r);
}


/* L{id}.{token}, or L{id} with "Authorization: Bearer {token}" on POST */

static ngx_int_t
ngx_http_push_approval_approve_parse_target(ngx_http_request_t *r,
    ngx_http_push_approval_approve_t *ap)
{
    ngx_str_t                            text, id, token;
    ngx_table_elt_t                     *auth;
    ngx_http_push_approval_loc_conf_t   *plcf;
    ngx_http_push_approval_main_conf_t  *pmcf;

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);
    pmcf = ngx_http_get_module_main_conf(r, ngx_http_push_approval_module);

    text.data = r->uri.data + plcf->endpoint_prefix.len;
    text.len = r->uri.len - plcf->endpoint_prefix.len;

    id.data = text.data;
    id.len = NGX_HTTP_PUSH_APPROVAL_ID_LEN;

    if (text.len == NGX_HTTP_PUSH_APPROVAL_ID_LEN + 1
                   + NGX_HTTP_PUSH_APPROVAL_TOKEN_LEN
        && text.data[NGX_HTTP_PUSH_APPROVAL_ID_LEN] == '.')
    {
        token.data = text.data + NGX_HTTP_PUSH_APPROVAL_ID_LEN + 1;
        token.len = NGX_HTTP_PUSH_APPROVAL_TOKEN_LEN;

    } else if (text.len == NGX_HTTP_PUSH_APPROVAL_ID_LEN
               && r->method == NGX_HTTP_POST)
    {
        auth = r->headers_in.authorization;

        if (auth == NULL || auth->value.len <= sizeof("Bearer ") - 1
            || ngx_strncasecmp(auth->value.data, (u_char *) "Bearer ",
                               sizeof("Bearer ") - 1) != 0)
        {
            return NGX_DECLINED;
        }

        token.data = auth->value.data + sizeof("Bearer ") - 1;
        token.len = auth->value.len - (sizeof("Bearer ") - 1);
        ap->bearer = 1;

    } else {
        return NGX_DECLINED;
    }

    if (ngx_http_push_approval_parse_id(&id, ap->id) != NGX_OK) {
        return NGX_DECLINED;
    }

    for (ap->kind = NGX_HTTP_PUSH_APPROVAL_TOKEN_ANY;
         ap->kind <= NGX_HTTP_PUSH_APPROVAL_TOKEN_TAP_APPROVE;
         ap->kind++)
    {
        if (ngx_http_push_approval_check_token(pmcf->keyring, ap->id,
                                               ap->kind, &token)
            == NGX_OK)
        {
            break;
        }
    }

    if (ap->kind > NGX_HTTP_PUSH_APPROVAL_TOKEN_TAP_APPROVE) {
        return NGX_DECLINED;
    }

    ap->ch = ngx_pcalloc(r->pool, sizeof(ngx_http_push_approval_challenge_t));
    if (ap->ch == NULL) {
        return NGX_ERROR;
    }

    ap->zone = ngx_http_push_approval_challenge_find_any(r, ap->id, ap->ch);

    return ap->zone ? NGX_OK : NGX_DECLINED;
}


static void
ngx_http_push_approval_approve_body(ngx_http_request_t *r)
{
    ngx_str_t                          any;
    ngx_http_push_approval_ctx_t      *ctx;
    ngx_http_push_approval_approve_t  *ap;

    ctx = ngx_http_get_module_ctx(r, ngx_http_push_approval_module);
    ap = ctx->data;

    /* a phone's one-tap button (ntfy's web app uses fetch): no cookies */

    if (ap->bearer) {
        ngx_str_set(&any, "*");

        if (ngx_http_push_approval_add_header(r, "Access-Control-Allow-Origin",
                                              &any)
            != NGX_OK)
        {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }
    }

    ngx_http_finalize_request(r, ngx_http_push_approval_approve_decide(r, ap));
}


static ngx_int_t
ngx_http_push_approval_approve_decide(ngx_http_request_t *r,
    ngx_http_push_approval_approve_t *ap)
{
    u_char                               dbuf[16], cbuf[16];
    ngx_int_t                            rc;
    ngx_str_t                            body, decision, code, identity, raw;
    ngx_uint_t                           want, result, status;
    ngx_http_push_approval_loc_conf_t   *plcf;
    ngx_http_push_approval_main_conf_t  *pmcf;

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);
    pmcf = ngx_http_get_module_main_conf(r, ngx_http_push_approval_module);

    decision.data = dbuf;
    decision.len = sizeof(dbuf);
    code.data = cbuf;
    code.len = sizeof(cbuf);

    if (ngx_http_push_approval_read_form(r, &body) != NGX_OK
        || ngx_http_push_approval_form_value(&body, "decision", &decision)
           != NGX_OK)
    {
        return ngx_http_push_approval_refused(r, ap, NGX_HTTP_BAD_REQUEST,
                   NGX_HTTP_PUSH_APPROVAL_ST_BAD_REQUEST, "bad_form");
    }

    if (decision.len == 7 && ngx_strncmp(decision.data, "approve", 7) == 0) {
        want = NGX_HTTP_PUSH_APPROVAL_APPROVED;

    } else if (decision.len == 4 && ngx_strncmp(decision.data, "deny", 4) == 0)
    {
        want = NGX_HTTP_PUSH_APPROVAL_DENIED;

    } else if (decision.len == 6
               && ngx_strncmp(decision.data, "report", 6) == 0)
    {
        want = NGX_HTTP_PUSH_APPROVAL_REPORTED;

    } else {
        return ngx_http_push_approval_refused(r, ap, NGX_HTTP_BAD_REQUEST,
                   NGX_HTTP_PUSH_APPROVAL_ST_BAD_REQUEST, "bad_form");
    }

    /* a deny-only token cannot approve; a one-tap one only approves */

    if ((ap->kind == NGX_HTTP_PUSH_APPROVAL_TOKEN_DENY
         && want == NGX_HTTP_PUSH_APPROVAL_APPROVED)
        || (ap->kind == NGX_HTTP_PUSH_APPROVAL_TOKEN_TAP_APPROVE
            && (want != NGX_HTTP_PUSH_APPROVAL_APPROVED
                || ap->ch->code_required)))
    {
        ngx_http_push_approval_rejected(r, "token_kind");

        return ngx_http_push_approval_send_result(r, NGX_HTTP_NOT_FOUND,
                   NGX_HTTP_PUSH_APPROVAL_ST_NOT_FOUND, NULL);
    }

    rc = ngx_http_push_approval_form_value(&body, "code", &code);

    if (rc == NGX_ERROR) {
        return ngx_http_push_approval_refused(r, ap, NGX_HTTP_BAD_REQUEST,
                   NGX_HTTP_PUSH_APPROVAL_ST_BAD_REQUEST, "bad_form");
    }

    if (rc == NGX_DECLINED) {
        code.len = 0;
    }

    ngx_str_null(&identity);

    if (plcf->identity
        && ngx_http_complex_value(r, plcf->identity, &identity) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ap->ch->separate) {
        rc = ngx_http_push_approval_separate(ap->zone, ap->ch, &identity);
        if (rc != NGX_OK) {
            return ngx_http_push_approval_refused(r, ap, NGX_HTTP_FORBIDDEN, rc,
                       (char *) ngx_http_push_approval_status_name(rc)->data);
        }
    }

    if (identity.len == 0) {
        identity = ap->ch->approver;

    } else {
        raw = identity;
        ngx_http_push_approval_clean_text(&raw,
                                          NGX_HTTP_PUSH_APPROVAL_USER_MAX,
                                          &identity, r->pool);
    }

    rc = ngx_http_push_approval_decide(ap->zone, ap->id, want, &code,
                                            pmcf->keyring, &identity,
                                            &result);

    if (rc == NGX_OK) {
        ngx_http_push_approval_wake_broadcast(ap->zone, ap->id);
        ngx_http_push_approval_event_about(ap->ch,
            (char *) ngx_http_push_approval_status_name(result)->data,
            &identity,
            result == NGX_HTTP_PUSH_APPROVAL_ST_CODE_MISMATCH
            ? "third_wrong_code_denies" : NULL);

    } else if (rc == NGX_AGAIN) {
        ngx_http_push_approval_event_about(ap->ch, "code_mismatch",
                                                    &identity, "wrong_code");

    } else {
        ngx_http_push_approval_rejected(r,
            (char *) ngx_http_push_approval_status_name(result)->data);
    }

    switch (result) {
    case NGX_HTTP_PUSH_APPROVAL_ST_APPROVED:
    case NGX_HTTP_PUSH_APPROVAL_ST_DENIED:
    case NGX_HTTP_PUSH_APPROVAL_ST_REPORTED:
        status = NGX_HTTP_OK;
        break;
    case NGX_HTTP_PUSH_APPROVAL_ST_CODE_MISMATCH:
        status = NGX_HTTP_FORBIDDEN;
        break;
    case NGX_HTTP_PUSH_APPROVAL_ST_GONE:
        status = 410;
        break;
    case NGX_HTTP_PUSH_APPROVAL_ST_NOT_FOUND:
        status = NGX_HTTP_NOT_FOUND;
        break;
    default:
        status = NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    return ngx_http_push_approval_send_result(r, status, result,
                                              &ap->ch->id_text);
}


/*
 * Four eyes: the decision needs an approver identity, and not the
 * requester's.  NGX_OK, or the status (ST_*) that refuses it.
 */

static ngx_int_t
ngx_http_push_approval_separate(ngx_http_push_approval_zone_t *zone,
    ngx_http_push_approval_challenge_t *ch, ngx_str_t *identity)
{
    u_char  h[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];

    if (identity->len == 0) {
        return NGX_HTTP_PUSH_APPROVAL_ST_IDENTITY_REQUIRED;
    }

    ngx_http_push_approval_who(zone, identity, h);

    if (ngx_http_push_approval_mac_equal(h, ch->who, sizeof(h))) {
        return NGX_HTTP_PUSH_APPROVAL_ST_SELF_APPROVAL;
    }

    return NGX_OK;
}


/* a decision refused before it reached the zone: an event and the answer */

static ngx_int_t
ngx_http_push_approval_refused(ngx_http_request_t *r,
    ngx_http_push_approval_approve_t *ap, ngx_uint_t http_status,
    ngx_uint_t status, const char *reason)
{
    ngx_http_push_approval_rejected(r, reason);

    return ngx_http_push_approval_send_result(r, http_status, status,
                                              &ap->ch->id_text);
}


/* the form body, in memory and at most FORM_MAX bytes */

static ngx_int_t
ngx_http_push_approval_read_form(ngx_http_request_t *r, ngx_str_t *body)
{
    u_char       *p;
    size_t        len;
    ngx_chain_t  *cl;

    ngx_str_null(body);

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        if (cl->buf->in_file || !ngx_buf_in_memory(cl->buf)) {
            return NGX_ERROR;
        }

        len += cl->buf->last - cl->buf->pos;
    }

    if (len > NGX_HTTP_PUSH_APPROVAL_FORM_MAX) {
        return NGX_ERROR;
    }

    body->data = ngx_pnalloc(r->pool, len + 1);
    if (body->data == NULL) {
        return NGX_ERROR;
    }

    p = body->data;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    body->len = len;

    return NGX_OK;
}


