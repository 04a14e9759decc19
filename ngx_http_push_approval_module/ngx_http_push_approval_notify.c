
/*
 * The notify subrequest and the variables it reads.  nginx cannot escape
 * JSON inside proxy_set_body, so the module exports whole, ready bodies.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_notify.h"
#include "ngx_http_push_approval_answer.h"
#include "ngx_http_push_approval_challenge.h"
#include "ngx_http_push_approval_escape.h"
#include "ngx_http_push_approval_keys.h"
#include "ngx_http_push_approval_text.h"


#define NGX_HTTP_PUSH_APPROVAL_NOTIFY_POOL   4096   /* the push's own pool */


typedef enum {
    NGX_HTTP_PUSH_APPROVAL_VAR_ID = 0,
    NGX_HTTP_PUSH_APPROVAL_VAR_USER,
    NGX_HTTP_PUSH_APPROVAL_VAR_APPROVER,
    NGX_HTTP_PUSH_APPROVAL_VAR_UNLOCKS,
    NGX_HTTP_PUSH_APPROVAL_VAR_SCOPE,
    NGX_HTTP_PUSH_APPROVAL_VAR_TTL,
    NGX_HTTP_PUSH_APPROVAL_VAR_CLIENT,
    NGX_HTTP_PUSH_APPROVAL_VAR_AGENT,
    NGX_HTTP_PUSH_APPROVAL_VAR_APPROVE_URL,
    NGX_HTTP_PUSH_APPROVAL_VAR_EXPIRES,
    NGX_HTTP_PUSH_APPROVAL_VAR_MESSAGE,
    NGX_HTTP_PUSH_APPROVAL_VAR_JSON,
    NGX_HTTP_PUSH_APPROVAL_VAR_NTFY_JSON,
    NGX_HTTP_PUSH_APPROVAL_VAR_STATUS,
    NGX_HTTP_PUSH_APPROVAL_VAR_REASON,
    NGX_HTTP_PUSH_APPROVAL_VAR_APPROVAL
} ngx_http_push_approval_var_e;


static ngx_int_t ngx_http_push_approval_notify_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc);
static ngx_uint_t ngx_http_push_approval_notify_over(
    ngx_http_push_approval_ctx_t *ctx);
static ngx_uint_t ngx_http_push_approval_pool_has(ngx_pool_t *pool, void *p);
static ngx_int_t ngx_http_push_approval_notify_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_push_approval_status_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_push_approval_json(ngx_http_request_t *r,
    ngx_http_push_approval_challenge_t *ch, ngx_str_t *url, ngx_str_t *out);
static ngx_int_t ngx_http_push_approval_ntfy_json(ngx_http_request_t *r,
    ngx_http_push_approval_challenge_t *ch, ngx_str_t *url, ngx_str_t *out);
static u_char *ngx_http_push_approval_ntfy_action(ngx_http_request_t *r,
    u_char *p, ngx_http_push_approval_challenge_t *ch, ngx_str_t *base,
    const char *label, ngx_uint_t kind, const char *decision);
static ngx_int_t ngx_http_push_approval_message(ngx_http_request_t *r,
    ngx_http_push_approval_challenge_t *ch, ngx_str_t *out);


/* the rest of an ntfy "http" action: the phone posts the decision */
#define NGX_HTTP_PUSH_APPROVAL_NTFY_HTTP                                      \
    "\",\"method\":\"POST\",\"headers\":{\"Authorization\":\"Bearer %*s\","   \
    "\"Content-Type\":\"application/x-www-form-urlencoded\"},"                \
    "\"body\":\"decision=%s\",\"clear\":true}"


static ngx_http_variable_t  ngx_http_push_approval_vars[] = {

    { ngx_string("push_approval_id"), NULL,
      ngx_http_push_approval_notify_variable,
      NGX_HTTP_PUSH_APPROVAL_VAR_ID, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("push_approval_user"), NULL,
      ngx_http_push_approval_notify_variable,
      NGX_HTTP_PUSH_APPROVAL_VAR_USER, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("push_approval_approver"), NULL,
      ngx_http_push_approval_notify_variable,
      NGX_HTTP_PUSH_APPROVAL_VAR_APPROVER, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("push_approval_unlocks"), NULL,
      ngx_http_push_approval_notify_variable,
      NGX_HTTP_PUSH_APPROVAL_VAR_UNLOCKS, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("push_approval_scope"), NULL,
      ngx_http_push_approval_notify_variable,
      NGX_HTTP_PUSH_APPROVAL_VAR_SCOPE, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("push_approval_ttl"), NULL,
      ngx_http_push_approval_notify_variable,
      NGX_HTTP_PUSH_APPROVAL_VAR_TTL, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("push_approval_client"), NULL,
      ngx_http_push_approval_notify_variable,
      NGX_HTTP_PUSH_APPROVAL_VAR_CLIENT, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("push_approval_agent"), NULL,
      ngx_http_push_approval_notify_variable,
      NGX_HTTP_PUSH_APPROVAL_VAR_AGENT, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("push_approval_approve_url"), NULL,
      ngx_http_push_approval_notify_variable,
      NGX_HTTP_PUSH_APPROVAL_VAR_APPROVE_URL, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("push_approval_expires"), NULL,
      ngx_http_push_approval_notify_variable,
      NGX_HTTP_PUSH_APPROVAL_VAR_EXPIRES, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("push_approval_message"), NULL,
      ngx_http_push_approval_notify_variable,
      NGX_HTTP_PUSH_APPROVAL_VAR_MESSAGE, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("push_approval_json"), NULL,
      ngx_http_push_approval_notify_variable,
      NGX_HTTP_PUSH_APPROVAL_VAR_JSON, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("push_approval_ntfy_json"), NULL,
      ngx_http_push_approval_notify_variable,
      NGX_HTTP_PUSH_APPROVAL_VAR_NTFY_JSON, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("push_approval_status"), NULL,
      ngx_http_push_approval_status_variable,
      NGX_HTTP_PUSH_APPROVAL_VAR_STATUS, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("push_approval_reason"), NULL,
      ngx_http_push_approval_status_variable,
      NGX_HTTP_PUSH_APPROVAL_VAR_REASON, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("push_approval_approval"), NULL,
      ngx_http_push_approval_status_variable,
      NGX_HTTP_PUSH_APPROVAL_VAR_APPROVAL, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_str_t  ngx_http_push_approval_reasons[] = {
    ngx_null_string,
    ngx_string("malformed"),
    ngx_string("oversized"),
    ngx_string("server"),
    ngx_string("scope"),
    ngx_string("method"),
    ngx_string("user"),
    ngx_string("ip"),
    ngx_string("agent"),
    ngx_string("expired"),
    ngx_string("revoked"),
    ngx_string("unknown_key"),
    ngx_string("signature")
};


ngx_str_t *
ngx_http_push_approval_reason_name(ngx_uint_t reason)
{
    if (reason >= sizeof(ngx_http_push_approval_reasons) / sizeof(ngx_str_t))
    {
        reason = 0;
    }

    return &ngx_http_push_approval_reasons[reason];
}


ngx_int_t
ngx_http_push_approval_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_push_approval_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


/*
 * A subrequest allocates from its main request's pool, which lives as long
 * as the held request: a push through proxy_pass left about 9 KB there
 * (the subrequest, the upstream and its 4 KB header buffer, the bodies)
 * until the decision.  The notify subrequest is created in, and allocates
 * from, a pool of its own, destroyed once the subrequest is over.  It gets
 * its own copy of the variables, so that no value cached for the main
 * request points into that pool.
 */

ngx_int_t
ngx_http_push_approval_notify(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_loc_conf_t *plcf)
{
    size_t                       size;
    ngx_int_t                    rc;
    ngx_pool_t                  *pool, *main;
    ngx_http_request_t          *sr;
    ngx_http_request_body_t     *rb;
    ngx_http_core_main_conf_t   *cmcf;
    ngx_http_variable_value_t   *vv;
    ngx_http_post_subrequest_t  *ps;

    pool = ngx_create_pool(NGX_HTTP_PUSH_APPROVAL_NOTIFY_POOL,
                           r->connection->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    /* from here on the request's pool cleanup (gate.c) destroys it */

    ctx->notify_pool = pool;

    /* all that can fail before the subrequest is posted */

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_core_module);
    size = cmcf->variables.nelts * sizeof(ngx_http_variable_value_t);

    ps = ngx_palloc(pool, sizeof(ngx_http_post_subrequest_t));
    vv = ngx_pnalloc(pool, size);
    rb = ngx_pcalloc(pool, sizeof(ngx_http_request_body_t));

    if (ps == NULL || vv == NULL || rb == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_push_approval_notify_done;
    ps->data = ctx;

    ngx_memcpy(vv, r->variables, size);

    ctx->notify_count = r->main->count;

    main = r->pool;
    r->pool = pool;

    rc = ngx_http_subrequest(r, &plcf->notify, NULL, &sr, ps,
                             NGX_HTTP_SUBREQUEST_WAITED);
    r->pool = main;

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->notify_sr = sr;

    /* never forward the client's body, and discard the provider's answer */

    sr->variables = vv;
    sr->request_body = rb;
    sr->header_only = 1;

    return NGX_OK;
}


/*
 * Called when the held request goes on after the push, and (force) when its
 * pool goes.  Early, the pool goes only when nothing can reach into it any
 * more: the subrequest is over (a subrequest finalized while another one
 * was active is finalized once more later: only a logged one is over), the
 * main request lists it nowhere, holds no more references than before it
 * (a background subrequest of the subrequest would live in the pool) and
 * keeps no module context in it (1.26's SSI filter sets one on the main
 * request from a subrequest's header).  Otherwise the request's cleanup
 * frees it.
 */

void
ngx_http_push_approval_notify_release(ngx_http_push_approval_ctx_t *ctx,
    ngx_uint_t force)
{
    if (ctx->notify_pool == NULL
        || (!force && !ngx_http_push_approval_notify_over(ctx)))
    {
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ctx->request->connection->log, 0,
                   "push_approval: notify pool freed%s",
                   force ? " with the request" : "");

    ngx_destroy_pool(ctx->notify_pool);

    ctx->notify_pool = NULL;
    ctx->notify_sr = NULL;
}


static ngx_uint_t
ngx_http_push_approval_notify_over(ngx_http_push_approval_ctx_t *ctx)
{
    ngx_uint_t                     i;
    ngx_http_request_t            *r, *sr;
    ngx_http_posted_request_t     *pr;
    ngx_http_postponed_request_t  *pp;

    r = ctx->request;
    sr = ctx->notify_sr;

    if (sr == NULL || !sr->done || !sr->logged
        || r->main->count > ctx->notify_count || r->main->blocked)
    {
        return 0;
    }

    for (pp = r->postponed; pp; pp = pp->next) {
        if (pp->request == sr) {
            return 0;
        }
    }

    for (pr = r->main->posted_requests; pr; pr = pr->next) {
        if (pr->request == sr) {
            return 0;
        }
    }

    for (i = 0; i < ngx_http_max_module; i++) {
        if (r->main->ctx[i]
            && ngx_http_push_approval_pool_has(ctx->notify_pool,
                                               r->main->ctx[i]))
        {
            return 0;
        }
    }

    return 1;
}


/* does the pool hold the allocation at p (its blocks, or a large one)? */

static ngx_uint_t
ngx_http_push_approval_pool_has(ngx_pool_t *pool, void *p)
{
    ngx_pool_t        *b;
    ngx_pool_large_t  *l;

    for (b = pool; b; b = b->d.next) {
        if ((u_char *) p >= (u_char *) b && (u_char *) p < b->d.end) {
            return 1;
        }
    }

    for (l = pool->large; l; l = l->next) {
        if (l->alloc == p) {
            return 1;
        }
    }

    return 0;
}


static ngx_int_t
ngx_http_push_approval_notify_done(ngx_http_request_t *r, void *data,
    ngx_int_t rc)
{
    ngx_http_push_approval_ctx_t  *ctx = data;

    ctx->notify_done = 1;
    ctx->notify_status = r->headers_out.status;

    if (rc == NGX_ERROR || rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        ctx->notify_status = (rc == NGX_ERROR) ? NGX_HTTP_BAD_GATEWAY : rc;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "push_approval: notify done rc:%i status:%i",
                   rc, ctx->notify_status);

    return rc;
}


/* "all methods but OPTIONS on vault.example under /ui/ for 15 minutes" */

ngx_int_t
ngx_http_push_approval_default_unlocks(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf,
    ngx_http_push_approval_challenge_t *ch)
{
    u_char     *p, methods[128], ttl[64];
    ngx_str_t   m, t;

    m.data = methods;

    if (plcf->methods == (NGX_HTTP_PUSH_APPROVAL_ALL_METHODS
                          & ~(ngx_uint_t) NGX_HTTP_OPTIONS))
    {
        ngx_str_set(&m, "all methods but OPTIONS");

    } else {
        m.len = ngx_http_push_approval_methods_text(methods, plcf->methods)
                - methods;
    }

    t.data = ttl;
    t.len = ngx_http_push_approval_ttl_text(ttl, plcf->ttl) - ttl;

    p = ngx_pnalloc(r->pool, NGX_HTTP_PUSH_APPROVAL_UNLOCKS_MAX);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ch->unlocks.data = p;
    ch->unlocks.len = ngx_snprintf(p, NGX_HTTP_PUSH_APPROVAL_UNLOCKS_MAX,
                                   "%V on %V under %V for %V",
                                   &m, &ch->server, &plcf->scope, &t)
                      - p;

    return NGX_OK;
}


ngx_int_t
ngx_http_push_approval_notify_approve_url(ngx_http_request_t *r,
    ngx_str_t *base, ngx_http_push_approval_challenge_t *ch, ngx_str_t *url)
{
    u_char                              *p;
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ngx_http_get_module_main_conf(r, ngx_http_push_approval_module);

    url->data = ngx_pnalloc(r->pool, base->len + ch->id_text.len + 1
                                     + NGX_HTTP_PUSH_APPROVAL_TOKEN_LEN + 1);
    if (url->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(url->data, base->data, base->len);
    p = ngx_cpymem(p, ch->id_text.data, ch->id_text.len);
    *p++ = '.';

    ngx_http_push_approval_token(&pmcf->keyring->keys[0], ch->id,
                                 NGX_HTTP_PUSH_APPROVAL_TOKEN_ANY, p);

    url->len = p + NGX_HTTP_PUSH_APPROVAL_TOKEN_LEN - url->data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_push_approval_notify_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                              *p;
    ngx_str_t                            s, url;
    ngx_http_push_approval_ctx_t        *ctx;
    ngx_http_push_approval_challenge_t  *ch;
    ngx_http_push_approval_srv_conf_t   *pscf;

    ctx = (r != r->main) ? ngx_http_push_approval_get_ctx(r->main) : NULL;

    if (ctx == NULL || ctx->challenge == NULL
        || ctx->gate != NGX_HTTP_PUSH_APPROVAL_GATE_NOTIFY)
    {
        v->not_found = 1;
        return NGX_OK;
    }

    ch = ctx->challenge;
    pscf = ngx_http_get_module_srv_conf(r->main,
                                        ngx_http_push_approval_module);
    url.len = 0;

    if (data == NGX_HTTP_PUSH_APPROVAL_VAR_APPROVE_URL
        || data == NGX_HTTP_PUSH_APPROVAL_VAR_JSON
        || data == NGX_HTTP_PUSH_APPROVAL_VAR_NTFY_JSON)
    {
        if (ngx_http_push_approval_notify_approve_url(r, &pscf->endpoint_url,
                                                      ch, &url)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    switch (data) {
    case NGX_HTTP_PUSH_APPROVAL_VAR_ID:
        s = ch->id_text;
        break;
    case NGX_HTTP_PUSH_APPROVAL_VAR_USER:
        s = ch->user;
        break;
    case NGX_HTTP_PUSH_APPROVAL_VAR_APPROVER:
        s = ch->approver;
        break;
    case NGX_HTTP_PUSH_APPROVAL_VAR_UNLOCKS:
        s = ch->unlocks;
        break;
    case NGX_HTTP_PUSH_APPROVAL_VAR_SCOPE:
        s = ch->scope;
        break;
    case NGX_HTTP_PUSH_APPROVAL_VAR_CLIENT:
        s = ch->client;
        break;
    case NGX_HTTP_PUSH_APPROVAL_VAR_AGENT:
        s = ch->agent;
        break;
    case NGX_HTTP_PUSH_APPROVAL_VAR_APPROVE_URL:
        s = url;
        break;

    case NGX_HTTP_PUSH_APPROVAL_VAR_TTL:
    case NGX_HTTP_PUSH_APPROVAL_VAR_EXPIRES:
        p = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        s.data = p;
        s.len = ngx_sprintf(p, "%T", data == NGX_HTTP_PUSH_APPROVAL_VAR_TTL
                                     ? ch->ttl : ch->expires) - p;
        break;

    case NGX_HTTP_PUSH_APPROVAL_VAR_MESSAGE:
        if (ngx_http_push_approval_message(r, ch, &s) != NGX_OK) {
            return NGX_ERROR;
        }
        break;

    case NGX_HTTP_PUSH_APPROVAL_VAR_JSON:
        if (ngx_http_push_approval_json(r, ch, &url, &s) != NGX_OK) {
            return NGX_ERROR;
        }
        break;

    default: /* NGX_HTTP_PUSH_APPROVAL_VAR_NTFY_JSON */
        if (ngx_http_push_approval_ntfy_json(r, ch, &url, &s) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    v->len = s.len;
    v->data = s.data;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_push_approval_message(ngx_http_request_t *r,
    ngx_http_push_approval_challenge_t *ch, ngx_str_t *out)
{
    u_char  *p;
    size_t   len;

    len = sizeof(" from  asks for: ") - 1 + ch->user.len + ch->client.len
          + ch->unlocks.len;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;
    out->len = ngx_sprintf(p, "%V from %V asks for: %V", &ch->user,
                           &ch->client, &ch->unlocks) - p;

    return NGX_OK;
}


#define ngx_http_push_approval_json_str(p, name, s)                           \
    p = ngx_cpymem(p, "\"" name "\":\"", sizeof("\"" name "\":\"") - 1);       \
    p = ngx_http_push_approval_json_escape(p, s);                             \
    *p++ = '"'


static ngx_int_t
ngx_http_push_approval_json(ngx_http_request_t *r,
    ngx_http_push_approval_challenge_t *ch, ngx_str_t *url, ngx_str_t *out)
{
    u_char                              *p, methods[128];
    size_t                               len;
    ngx_str_t                            m;
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ngx_http_get_module_main_conf(r, ngx_http_push_approval_module);

    m.data = methods;
    m.len = ngx_http_push_approval_methods_text(methods, ch->methods)
            - methods;

    len = sizeof("{\"id\":\"\",\"user\":\"\",\"approver\":\"\","
                 "\"unlocks\":\"\","
                 "\"server\":\"\",\"scope\":\"\",\"methods\":\"\",\"ttl\":,"
                 "\"client\":\"\",\"agent\":\"\",\"method\":\"\",\"uri\":\"\","
                 "\"approve_url\":\"\",\"expires\":,\"node\":\"\","
                 "\"code_required\":false}")
          + 2 * NGX_TIME_T_LEN
          + ngx_http_push_approval_json_len(&ch->id_text)
          + ngx_http_push_approval_json_len(&ch->user)
          + ngx_http_push_approval_json_len(&ch->approver)
          + ngx_http_push_approval_json_len(&ch->unlocks)
          + ngx_http_push_approval_json_len(&ch->server)
          + ngx_http_push_approval_json_len(&ch->scope)
          + ngx_http_push_approval_json_len(&m)
          + ngx_http_push_approval_json_len(&ch->client)
          + ngx_http_push_approval_json_len(&ch->agent)
          + ngx_http_push_approval_json_len(&ch->method)
          + ngx_http_push_approval_json_len(&ch->uri)
          + ngx_http_push_approval_json_len(url)
          + ngx_http_push_approval_json_len(&pmcf->node);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    *p++ = '{';
    ngx_http_push_approval_json_str(p, "id", &ch->id_text);
    *p++ = ',';
    ngx_http_push_approval_json_str(p, "user", &ch->user);
    *p++ = ',';
    ngx_http_push_approval_json_str(p, "approver", &ch->approver);
    *p++ = ',';
    ngx_http_push_approval_json_str(p, "unlocks", &ch->unlocks);
    *p++ = ',';
    ngx_http_push_approval_json_str(p, "server", &ch->server);
    *p++ = ',';
    ngx_http_push_approval_json_str(p, "scope", &ch->scope);
    *p++ = ',';
    ngx_http_push_approval_json_str(p, "methods", &m);
    p = ngx_sprintf(p, ",\"ttl\":%T,", ch->ttl);
    ngx_http_push_approval_json_str(p, "client", &ch->client);
    *p++ = ',';
    ngx_http_push_approval_json_str(p, "agent", &ch->agent);
    *p++ = ',';
    ngx_http_push_approval_json_str(p, "method", &ch->method);
    *p++ = ',';
    ngx_http_push_approval_json_str(p, "uri", &ch->uri);
    *p++ = ',';
    ngx_http_push_approval_json_str(p, "approve_url", url);
    p = ngx_sprintf(p, ",\"expires\":%T,", ch->expires);
    ngx_http_push_approval_json_str(p, "node", &pmcf->node);
    p = ngx_sprintf(p, ",\"code_required\":%s}",
                    ch->code_required ? "true" : "false");

    out->len = p - out->data;

    return NGX_OK;
}


/*
 * An ntfy publish body.  With a code the notification only opens the
 * approve page: a code is typed there, so a one-tap Approve exists only
 * without one.
 */

static ngx_int_t
ngx_http_push_approval_ntfy_json(ngx_http_request_t *r,
    ngx_http_push_approval_challenge_t *ch, ngx_str_t *url, ngx_str_t *out)
{
    u_char     *p;
    size_t      len;
    ngx_str_t   msg, base;

    if (ngx_http_push_approval_message(r, ch, &msg) != NGX_OK) {
        return NGX_ERROR;
    }

    /* the decision URL of the Bearer form: the approve URL without ".token" */

    base.data = url->data;
    base.len = url->len - 1 - NGX_HTTP_PUSH_APPROVAL_TOKEN_LEN;

    len = sizeof("{\"topic\":\"\",\"title\":\"Approval requested\","
                 "\"message\":\"\",\"priority\":4,\"tags\":[\"lock\"],"
                 "\"click\":\"\",\"actions\":[{\"action\":\"view\","
                 "\"label\":\"Review\",\"url\":\"\",\"clear\":true}]}")
          + ngx_http_push_approval_json_len(&ch->approver)
          + ngx_http_push_approval_json_len(&msg)
          + 2 * ngx_http_push_approval_json_len(url)
          + 2 * (sizeof(",{\"action\":\"http\",\"label\":\"Approve\","
                        "\"url\":\"") - 1
                 + ngx_http_push_approval_json_len(&base)
                 + sizeof(NGX_HTTP_PUSH_APPROVAL_NTFY_HTTP) - 1
                 + NGX_HTTP_PUSH_APPROVAL_TOKEN_LEN + sizeof("approve") - 1);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    *p++ = '{';
    ngx_http_push_approval_json_str(p, "topic", &ch->approver);
    p = ngx_cpymem(p, ",\"title\":\"Approval requested\",",
                   sizeof(",\"title\":\"Approval requested\",") - 1);
    ngx_http_push_approval_json_str(p, "message", &msg);
    p = ngx_cpymem(p, ",\"priority\":4,\"tags\":[\"lock\"],",
                   sizeof(",\"priority\":4,\"tags\":[\"lock\"],") - 1);
    ngx_http_push_approval_json_str(p, "click", url);
    p = ngx_cpymem(p, ",\"actions\":[{\"action\":\"view\","
                   "\"label\":\"Review\",",
                   sizeof(",\"actions\":[{\"action\":\"view\","
                          "\"label\":\"Review\",") - 1);
    ngx_http_push_approval_json_str(p, "url", url);
    p = ngx_cpymem(p, ",\"clear\":true}", sizeof(",\"clear\":true}") - 1);

    /* one-tap buttons: Approve only where no code is typed */

    if (!ch->code_required) {
        p = ngx_http_push_approval_ntfy_action(r, p, ch, &base, "Approve",
                  NGX_HTTP_PUSH_APPROVAL_TOKEN_TAP_APPROVE, "approve");
    }

    p = ngx_http_push_approval_ntfy_action(r, p, ch, &base, "Deny",
                                           NGX_HTTP_PUSH_APPROVAL_TOKEN_DENY,
                                           "deny");

    *p++ = ']';
    *p++ = '}';

    out->len = p - out->data;

    return NGX_OK;
}


static u_char *
ngx_http_push_approval_ntfy_action(ngx_http_request_t *r, u_char *p,
    ngx_http_push_approval_challenge_t *ch, ngx_str_t *base,
    const char *label, ngx_uint_t kind, const char *decision)
{
    u_char                               token[NGX_HTTP_PUSH_APPROVAL_TOKEN_LEN
                                               + 1];
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ngx_http_get_module_main_conf(r, ngx_http_push_approval_module);

    ngx_http_push_approval_token(&pmcf->keyring->keys[0], ch->id, kind, token);

    p = ngx_sprintf(p, ",{\"action\":\"http\",\"label\":\"%s\",\"url\":\"",
                    label);
    p = ngx_http_push_approval_json_escape(p, base);

    return ngx_sprintf(p, NGX_HTTP_PUSH_APPROVAL_NTFY_HTTP,
                       (size_t) NGX_HTTP_PUSH_APPROVAL_TOKEN_LEN, token,
                       decision);
}


/* $push_approval_status, _reason and _approval: anywhere, by log time */

static ngx_int_t
ngx_http_push_approval_status_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                     *s;
    ngx_http_push_approval_ctx_t  *ctx;

    /* a refused subrequest has a context of its own */

    ctx = ngx_http_get_module_ctx(r, ngx_http_push_approval_module);

    if (ctx == NULL) {
        ctx = ngx_http_push_approval_get_ctx(r->main);
    }

    s = NULL;

    if (ctx) {
        switch (data) {
        case NGX_HTTP_PUSH_APPROVAL_VAR_STATUS:
            s = ctx->status ? ngx_http_push_approval_status_name(ctx->status)
                            : NULL;
            break;
        case NGX_HTTP_PUSH_APPROVAL_VAR_REASON:
            s = ctx->reason ? ngx_http_push_approval_reason_name(ctx->reason)
                            : NULL;
            break;
        default: /* NGX_HTTP_PUSH_APPROVAL_VAR_APPROVAL */
            s = ctx->approval.len ? &ctx->approval : NULL;
        }
    }

    if (s == NULL || s->len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = s->len;
    v->data = s->data;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}
