
/*
 * Directives, configuration and module hooks.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_audit.h"
#include "ngx_http_push_approval_audit_conf.h"
#include "ngx_http_push_approval_cookie.h"
#include "ngx_http_push_approval_directives.h"
#include "ngx_http_push_approval_event.h"
#include "ngx_http_push_approval_gate.h"
#include "ngx_http_push_approval_gate_conf.h"
#include "ngx_http_push_approval_journal.h"
#include "ngx_http_push_approval_notify.h"
#include "ngx_http_push_approval_recover.h"
#include "ngx_http_push_approval_wake.h"
#include "ngx_http_push_approval_writers.h"
#include "ngx_http_push_approval_zone.h"


static ngx_int_t ngx_http_push_approval_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_push_approval_postconfiguration(ngx_conf_t *cf);
static void *ngx_http_push_approval_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_push_approval_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_push_approval_create_srv_conf(ngx_conf_t *cf);
static char *ngx_http_push_approval_merge_srv_conf(ngx_conf_t *cf,
    void *parent, void *child);
static void *ngx_http_push_approval_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_push_approval_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static char *ngx_http_push_approval_check_loc(ngx_conf_t *cf,
    ngx_http_push_approval_loc_conf_t *conf,
    ngx_http_core_loc_conf_t *clcf);
static void ngx_http_push_approval_check_unsafe(ngx_conf_t *cf,
    ngx_http_push_approval_loc_conf_t *conf, ngx_http_core_loc_conf_t *clcf);
static void *ngx_http_push_approval_module_loc_conf(ngx_conf_t *cf,
    void **loc_conf, char *name, ngx_uint_t merged);
static ngx_uint_t ngx_http_push_approval_answers(ngx_array_t *codes);
static ngx_uint_t ngx_http_push_approval_uses_remote_user(ngx_str_t *v);
static ngx_uint_t ngx_http_push_approval_auth_basic(ngx_conf_t *cf);
static void ngx_http_push_approval_approvers(ngx_queue_t *locations,
    ngx_uint_t *all, ngx_uint_t *identity);
static ngx_int_t ngx_http_push_approval_check_servers(ngx_conf_t *cf);
static ngx_int_t ngx_http_push_approval_init_process(ngx_cycle_t *cycle);
static void ngx_http_push_approval_exit_process(ngx_cycle_t *cycle);


static ngx_http_module_t  ngx_http_push_approval_module_ctx = {
    ngx_http_push_approval_preconfiguration, /* preconfiguration */
    ngx_http_push_approval_postconfiguration, /* postconfiguration */

    ngx_http_push_approval_create_main_conf, /* create main configuration */
    ngx_http_push_approval_init_main_conf, /* init main configuration */

    ngx_http_push_approval_create_srv_conf, /* create server configuration */
    ngx_http_push_approval_merge_srv_conf, /* merge server configuration */

    ngx_http_push_approval_create_loc_conf, /* create location configuration */
    ngx_http_push_approval_merge_loc_conf  /* merge location configuration */
};


ngx_module_t  ngx_http_push_approval_module = {
    NGX_MODULE_V1,
    &ngx_http_push_approval_module_ctx,    /* module context */
    ngx_http_push_approval_commands,       /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_http_push_approval_recover,        /* init module */
    ngx_http_push_approval_init_process,   /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_push_approval_exit_process,   /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/*
 * The request context.  An internal redirect (index, try_files, error_page,
 * X-Accel-Redirect, a named location) clears r->ctx; what survives it is a
 * request that passed the gate, nothing else.  A gate that was reading a
 * body, notifying or waiting, and every endpoint's state, is left behind:
 * its events are disarmed here and the location the request lands in
 * handles it afresh.  Subrequests share their main request's pool, so they
 * never recover anything from it.
 */

ngx_http_push_approval_ctx_t *
ngx_http_push_approval_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t            *cln;
    ngx_http_push_approval_ctx_t  *ctx, *found;

    ctx = ngx_http_get_module_ctx(r, ngx_http_push_approval_module);

    if (ctx != NULL || r != r->main || !(r->internal || r->filter_finalize)) {
        return ctx;
    }

    found = NULL;

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler != ngx_http_push_approval_cleanup) {
            continue;
        }

        ctx = cln->data;

        if (ctx->request != r || ctx->stale) {
            continue;
        }

        if (!ctx->endpoint && ctx->gate == NGX_HTTP_PUSH_APPROVAL_GATE_PASSED
            && found == NULL)
        {
            found = ctx;
            continue;
        }

        ngx_http_push_approval_wake_unhold(ctx);
        ctx->stale = 1;
    }

    if (found) {
        ngx_http_set_ctx(r, found, ngx_http_push_approval_module);
    }

    return found;
}


ngx_http_push_approval_ctx_t *
ngx_http_push_approval_create_ctx(ngx_http_request_t *r, ngx_uint_t endpoint)
{
    ngx_pool_cleanup_t            *cln;
    ngx_http_push_approval_ctx_t  *ctx;

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_push_approval_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = cln->data;
    ngx_memzero(ctx, sizeof(ngx_http_push_approval_ctx_t));
    ctx->request = r;
    ctx->endpoint = endpoint ? 1 : 0;

    cln->handler = ngx_http_push_approval_cleanup;

    ngx_http_set_ctx(r, ctx, ngx_http_push_approval_module);

    return ctx;
}


static ngx_int_t
ngx_http_push_approval_preconfiguration(ngx_conf_t *cf)
{
    return ngx_http_push_approval_add_variables(cf);
}


static ngx_int_t
ngx_http_push_approval_postconfiguration(ngx_conf_t *cf)
{
    ngx_uint_t                           i;
    ngx_shm_zone_t                     **refs;
    ngx_http_handler_pt                 *h;
    ngx_http_core_main_conf_t           *cmcf;
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_push_approval_module);

    refs = pmcf->refs.elts;
    for (i = 0; i < pmcf->refs.nelts; i++) {
        if (refs[i]->data == NULL) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"push_approval\" uses the unknown zone \"%V\", "
                          "define it with \"push_approval_zone\"",
                          &refs[i]->shm.name);
            return NGX_ERROR;
        }
    }

    if (pmcf->used && pmcf->keyring == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"push_approval\" requires \"push_approval_secret_file\""
                      " in the http{} block");
        return NGX_ERROR;
    }

    if ((pmcf->used || pmcf->endpoints) && pmcf->zones.nelts == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"push_approval_endpoint\" requires "
                      "\"push_approval_zone\"");
        return NGX_ERROR;
    }

    if (pmcf->endpoints && pmcf->keyring == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"push_approval_endpoint\" requires "
                      "\"push_approval_secret_file\" in the http{} block");
        return NGX_ERROR;
    }

    if (ngx_http_push_approval_check_servers(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (!pmcf->used) {
        return NGX_OK;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_push_approval_gate_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_push_approval_log_handler;

    return NGX_OK;
}


static ngx_int_t
ngx_http_push_approval_check_servers(ngx_conf_t *cf)
{
    ngx_uint_t                          s;
    ngx_http_core_srv_conf_t          **cscfp;
    ngx_http_core_main_conf_t          *cmcf;
    ngx_http_push_approval_srv_conf_t  *pscf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    cscfp = cmcf->servers.elts;

    for (s = 0; s < cmcf->servers.nelts; s++) {
        pscf = cscfp[s]->ctx->srv_conf[ngx_http_push_approval_module.ctx_index];

        if (!pscf->protected) {
            continue;
        }

        if (pscf->wait_prefix.len == 0) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"push_approval\" in %s:%ui: its server{} needs a "
                          "location with \"push_approval_endpoint wait\"",
                          pscf->file, pscf->line);
            return NGX_ERROR;
        }

        if (pscf->endpoint_url.len == 0) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"push_approval\" in %s:%ui: "
                          "\"push_approval_endpoint_url\" is not set",
                          pscf->file, pscf->line);
            return NGX_ERROR;
        }

        /* approvals are bound to a name of the configuration, never Host */

        if (pscf->server_id.len == 0) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"push_approval\" in %s:%ui: the server{} in "
                          "%s:%ui has no name to bind approvals to (its "
                          "first \"server_name\" is empty, \"_\", a regex "
                          "or not a plain host name), set "
                          "\"push_approval_server_id NAME\"",
                          pscf->file, pscf->line, cscfp[s]->file_name,
                          cscfp[s]->line);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void *
ngx_http_push_approval_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_push_approval_main_conf_t));
    if (pmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&pmcf->zones, cf->pool, 2,
                       sizeof(ngx_http_push_approval_zone_t *))
        != NGX_OK
        || ngx_array_init(&pmcf->refs, cf->pool, 4, sizeof(ngx_shm_zone_t *))
           != NGX_OK)
    {
        return NULL;
    }

    return pmcf;
}


static char *
ngx_http_push_approval_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_push_approval_main_conf_t  *pmcf = conf;

    ngx_str_t  name;

    if (pmcf->node.data == NULL) {
        pmcf->node = cf->cycle->hostname;
    }

    if (pmcf->journal == NULL && (pmcf->used || pmcf->endpoints)) {

        /* push_approval/ beside nginx's default access log */

        name.data = (u_char *) NGX_HTTP_LOG_PATH;
        name.len = ngx_strlen(NGX_HTTP_LOG_PATH);

        while (name.len && name.data[name.len - 1] != '/') {
            name.len--;
        }

        name.data = ngx_pnalloc(cf->pool, name.len + sizeof("push_approval"));
        if (name.data == NULL) {
            return NGX_CONF_ERROR;
        }

        name.len = ngx_sprintf(name.data, "%*spush_approval",
                               name.len, NGX_HTTP_LOG_PATH) - name.data;

        if (ngx_http_push_approval_audit_conf_journal_path(cf, pmcf, &name)
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    if (pmcf->stream.data == NULL) {
        ngx_str_set(&pmcf->stream, "push_approval:events");
    }

    if (pmcf->journal == NULL) {
        if (pmcf->redis) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"push_approval_redis\" ships the journal, "
                               "which is on only where something is "
                               "protected or an endpoint is configured");
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;
    }

    if (ngx_http_push_approval_writers_conf(cf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    return ngx_http_push_approval_audit_key(cf, pmcf);
}


static void *
ngx_http_push_approval_create_srv_conf(ngx_conf_t *cf)
{
    ngx_http_push_approval_srv_conf_t  *pscf;

    pscf = ngx_pcalloc(cf->pool, sizeof(ngx_http_push_approval_srv_conf_t));
    if (pscf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     pscf->endpoint_url = { 0, NULL };
     *     pscf->wait_prefix = { 0, NULL };
     *     pscf->server_id = { 0, NULL };
     *     pscf->protected = 0;
     */

    return pscf;
}


static char *
ngx_http_push_approval_merge_srv_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_push_approval_srv_conf_t *prev = parent;
    ngx_http_push_approval_srv_conf_t *conf = child;

    ngx_conf_merge_str_value(conf->endpoint_url, prev->endpoint_url, "");

    if (ngx_http_push_approval_server_identity(cf, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_push_approval_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_push_approval_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_push_approval_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->scope = { 0, NULL };
     *     conf->notify = { 0, NULL };
     *     conf->cookie_name = { 0, NULL };
     *     conf->endpoint = NGX_HTTP_PUSH_APPROVAL_EP_NONE;
     *     conf->identity = NULL;
     *     conf->file = NULL;
     */

    conf->shm_zone = NGX_CONF_UNSET_PTR;
    conf->user = NGX_CONF_UNSET_PTR;
    conf->approver = NGX_CONF_UNSET_PTR;
    conf->unlocks = NGX_CONF_UNSET_PTR;
    conf->methods = NGX_CONF_UNSET_UINT;
    conf->ttl = NGX_CONF_UNSET;
    conf->wait = NGX_CONF_UNSET;
    conf->mode = NGX_CONF_UNSET_UINT;
    conf->code_digits = NGX_CONF_UNSET_UINT;
    conf->bind = NGX_CONF_UNSET_UINT;
    conf->cookie_secure = NGX_CONF_UNSET_UINT;
    conf->cookie_samesite_lax = NGX_CONF_UNSET_UINT;
    conf->metrics = NGX_CONF_UNSET;
    conf->prompt_n = NGX_CONF_UNSET_UINT;
    conf->prompt_period = NGX_CONF_UNSET;
    conf->lockout_n = NGX_CONF_UNSET_UINT;
    conf->lockout_period = NGX_CONF_UNSET;
    conf->separate = NGX_CONF_UNSET;

    return conf;
}


static char *
ngx_http_push_approval_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_push_approval_loc_conf_t *prev = parent;
    ngx_http_push_approval_loc_conf_t *conf = child;

    char                               *rv;
    ngx_http_core_loc_conf_t           *clcf;
    ngx_http_push_approval_srv_conf_t  *pscf;

    ngx_conf_merge_ptr_value(conf->shm_zone, prev->shm_zone, NULL);
    ngx_conf_merge_ptr_value(conf->user, prev->user, NULL);
    ngx_conf_merge_ptr_value(conf->approver, prev->approver, NULL);
    ngx_conf_merge_ptr_value(conf->unlocks, prev->unlocks, NULL);
    ngx_conf_merge_uint_value(conf->methods, prev->methods,
                              NGX_HTTP_PUSH_APPROVAL_ALL_METHODS
                              & ~(ngx_uint_t) NGX_HTTP_OPTIONS);
    ngx_conf_merge_sec_value(conf->ttl, prev->ttl, 15 * 60);
    ngx_conf_merge_sec_value(conf->wait, prev->wait, 60);
    ngx_conf_merge_str_value(conf->notify, prev->notify, "");
    ngx_conf_merge_uint_value(conf->mode, prev->mode,
                              NGX_HTTP_PUSH_APPROVAL_MODE_AUTO);
    ngx_conf_merge_uint_value(conf->code_digits, prev->code_digits, 6);
    ngx_conf_merge_uint_value(conf->bind, prev->bind,
                              NGX_HTTP_PUSH_APPROVAL_BIND_IP
                              | NGX_HTTP_PUSH_APPROVAL_BIND_AGENT);
    ngx_conf_merge_str_value(conf->cookie_name, prev->cookie_name, "");
    ngx_conf_merge_uint_value(conf->cookie_secure, prev->cookie_secure,
                              NGX_HTTP_PUSH_APPROVAL_SECURE_AUTO);
    ngx_conf_merge_uint_value(conf->cookie_samesite_lax,
                              prev->cookie_samesite_lax, 0);
    ngx_conf_merge_value(conf->metrics, prev->metrics, 0);
    ngx_conf_merge_value(conf->separate, prev->separate, 0);

    if (conf->prompt_n == NGX_CONF_UNSET_UINT) {
        conf->prompt_n = prev->prompt_n;
        conf->prompt_period = prev->prompt_period;
    }

    if (conf->prompt_n == NGX_CONF_UNSET_UINT) {
        conf->prompt_n = 5;
        conf->prompt_period = 10 * 60;
    }

    if (conf->lockout_n == NGX_CONF_UNSET_UINT) {
        conf->lockout_n = prev->lockout_n;
        conf->lockout_period = prev->lockout_period;
    }

    if (conf->lockout_n == NGX_CONF_UNSET_UINT) {
        conf->lockout_n = 3;
        conf->lockout_period = 15 * 60;
    }

    if (conf->file == NULL) {
        conf->file = prev->file;
        conf->line = prev->line;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    pscf = ngx_http_conf_get_module_srv_conf(cf,
                                             ngx_http_push_approval_module);

    if (conf->endpoint == NGX_HTTP_PUSH_APPROVAL_EP_WAIT) {
        pscf->wait_prefix = clcf->name;
    }

    if (conf->scope.data == NULL) {
        if (clcf->noname) {
            conf->scope = prev->scope;

        } else if (clcf->name.len && !clcf->named
#if (NGX_PCRE)
                   && clcf->regex == NULL
#endif
                   )
        {
            conf->scope = clcf->name;

            if (ngx_http_push_approval_valid_path(&conf->scope) != NGX_OK
                || conf->scope.len > NGX_HTTP_PUSH_APPROVAL_SCOPE_MAX)
            {
                conf->scope.data = NULL;
                conf->scope.len = 0;
            }

        } else if (clcf->name.len == 0) {
            ngx_str_set(&conf->scope, "/");
        }
    }

    if (conf->shm_zone == NULL
        || conf->endpoint != NGX_HTTP_PUSH_APPROVAL_EP_NONE)
    {
        return NGX_CONF_OK;
    }

    conf->zone = conf->shm_zone->data;

    /* user records live as long as the longest period that reads them */

    if (conf->zone) {
        conf->zone->max_period = ngx_max(conf->zone->max_period,
                                         ngx_max(conf->prompt_period,
                                                 conf->lockout_period));
    }

    if (!pscf->protected) {
        pscf->protected = 1;
        pscf->file = conf->file;
        pscf->line = conf->line;
    }

    rv = ngx_http_push_approval_check_loc(cf, conf, clcf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (ngx_http_push_approval_cookie_zone_scope(cf->pool,
                                                 &conf->shm_zone->shm.name,
                                                 &conf->scope,
                                                 &conf->zone_scope)
        == NULL)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_check_loc(ngx_conf_t *cf,
    ngx_http_push_approval_loc_conf_t *conf, ngx_http_core_loc_conf_t *clcf)
{
    if (conf->scope.data == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"push_approval\" in %s:%ui: the %s location \"%V\" "
                      "needs \"push_approval_scope\"", conf->file, conf->line,
                      clcf->named ? "named"
                      : (clcf->name.len > NGX_HTTP_PUSH_APPROVAL_SCOPE_MAX)
                        ? "long" : "regex",
                      &clcf->name);
        return NGX_CONF_ERROR;
    }

    if (conf->user == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"push_approval\" in %s:%ui requires "
                      "\"push_approval_user\"", conf->file, conf->line);
        return NGX_CONF_ERROR;
    }

    if (conf->notify.len == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"push_approval\" in %s:%ui requires "
                      "\"push_approval_notify\"", conf->file, conf->line);
        return NGX_CONF_ERROR;
    }

    if (ngx_strncmp(conf->cookie_name.data, "__Host-", 7) == 0
        && conf->cookie_secure == NGX_HTTP_PUSH_APPROVAL_SECURE_OFF)
    {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"push_approval_cookie\": a \"__Host-\" cookie "
                      "cannot have \"secure=off\"");
        return NGX_CONF_ERROR;
    }

    if (!clcf->noname) {
        /* an if{} block shares its location's rewrite codes: warned there */
        ngx_http_push_approval_check_unsafe(cf, conf, clcf);
    }

    return NGX_CONF_OK;
}


/*
 * Setups nginx accepts that leave a protected place open: warnings, as
 * each may be meant (or the missing piece lives on another server).
 */

static void
ngx_http_push_approval_check_unsafe(ngx_conf_t *cf,
    ngx_http_push_approval_loc_conf_t *conf, ngx_http_core_loc_conf_t *clcf)
{
    ngx_str_t                   *u;
    ngx_uint_t                   all, identity, s;
    ngx_array_t                **codes;
    ngx_http_core_srv_conf_t    *cscf, **cscfp;
    ngx_http_core_loc_conf_t    *slcf;
    ngx_http_core_main_conf_t   *cmcf;

    cscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module);

    /* the rewrite module's private loc conf starts with its codes */

    codes = ngx_http_push_approval_module_loc_conf(cf,
                            ((ngx_http_conf_ctx_t *) cf->ctx)->loc_conf,
                                                "ngx_http_rewrite_module", 0);

    if (codes && *codes && ngx_http_push_approval_answers(*codes)) {
        ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                      "\"push_approval\" in %s:%ui: \"return\" in location "
                      "\"%V\" answers in the rewrite phase, before the "
                      "approval is checked: what it returns is never gated; "
                      "move it to a location without \"push_approval\"",
                      conf->file, conf->line, &clcf->name);
    }

    codes = ngx_http_push_approval_module_loc_conf(cf, cscf->ctx->loc_conf,
                                                "ngx_http_rewrite_module", 0);

    if (codes && *codes && ngx_http_push_approval_answers(*codes)) {
        ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                      "\"push_approval\" in %s:%ui: \"return\" in the "
                      "server{} of location \"%V\" answers before any "
                      "location is chosen: what it returns is never gated; "
                      "move it to a location without \"push_approval\"",
                      conf->file, conf->line, &clcf->name);
    }

    if (conf->separate) {
        all = 0;
        identity = 0;

        cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
        cscfp = cmcf->servers.elts;

        for (s = 0; s < cmcf->servers.nelts; s++) {
            slcf = cscfp[s]->ctx->loc_conf[ngx_http_core_module.ctx_index];

            if (slcf->locations) {
                ngx_http_push_approval_approvers(slcf->locations, &all,
                                                 &identity);
            }
        }

        if (all && identity == 0) {
            ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                          "\"push_approval_separate on\" for \"push_approval\""
                          " in %s:%ui: no \"push_approval_endpoint approve\" "
                          "here has \"identity=\", so every decision made "
                          "here is refused; add \"identity=$verified_user\" "
                          "to the approve endpoint",
                          conf->file, conf->line);
        }
    }

    u = &conf->user->value;

    if (!ngx_http_push_approval_uses_remote_user(u)) {
        return;
    }

    if (clcf->satisfy == NGX_HTTP_SATISFY_ANY) {
        ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                      "\"push_approval_user %V\" for \"push_approval\" in "
                      "%s:%ui: under \"satisfy any\" the password may never "
                      "be checked and any client names the user; use "
                      "\"satisfy all\" or a verified source (\"auth_basic\","
                      " \"auth_request_set\", $ssl_client_s_dn under "
                      "\"ssl_verify_client on\")", u, conf->file, conf->line);
        return;
    }

    if (ngx_http_push_approval_auth_basic(cf)) {
        return;
    }

    ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                  "\"push_approval_user %V\" for \"push_approval\" in %s:%ui:"
                  " no \"auth_basic\" checks the password here, so any client"
                  " names the user; add \"auth_basic\" or use a verified "
                  "source (\"auth_request_set\", $ssl_client_s_dn under "
                  "\"ssl_verify_client on\")", u, conf->file, conf->line);
}


/*
 * The loc conf of a module found by name: NULL when it is not built in, or
 * when "merged" is asked and its merge has not run yet (it runs module by
 * module, in the cycle's order).
 */

static void *
ngx_http_push_approval_module_loc_conf(ngx_conf_t *cf, void **loc_conf,
    char *name, ngx_uint_t merged)
{
    ngx_uint_t     m;
    ngx_module_t  *module;

    for (m = 0; cf->cycle->modules[m]; m++) {
        module = cf->cycle->modules[m];

        if (module->type != NGX_HTTP_MODULE
            || ngx_strcmp(module->name, name) != 0)
        {
            continue;
        }

        if (merged
            && module->ctx_index > ngx_http_push_approval_module.ctx_index)
        {
            return NULL;
        }

        return loc_conf[module->ctx_index];
    }

    return NULL;
}


/*
 * Whether the codes hold a "return" with a 1xx or 2xx status: content
 * served without the gate.  Redirects and refusals are left alone.  Codes
 * are structs of pointer-sized fields laid end to end; a word equal to the
 * return handler starts one.
 */

static ngx_uint_t
ngx_http_push_approval_answers(ngx_array_t *codes)
{
    u_char                         *p, *last;
    uintptr_t                       word;
    ngx_http_script_return_code_t   rc;

    p = codes->elts;
    last = p + codes->nelts * codes->size;

    for ( /* void */ ; p + sizeof(uintptr_t) <= last; p += sizeof(uintptr_t))
    {
        ngx_memcpy(&word, p, sizeof(uintptr_t));

        if (word != (uintptr_t) ngx_http_script_return_code
            || p + sizeof(ngx_http_script_return_code_t) > last)
        {
            continue;
        }

        ngx_memcpy(&rc, p, sizeof(ngx_http_script_return_code_t));

        if (rc.status < NGX_HTTP_MOVED_PERMANENTLY) {
            return 1;
        }
    }

    return 0;
}


/*
 * Whether auth_basic checks passwords in this location, by the tests of
 * its own handler: its private loc conf is { realm, user_file }, complex
 * values, NULL when unset; a realm of "off" turns it off.
 */

static ngx_uint_t
ngx_http_push_approval_auth_basic(ngx_conf_t *cf)
{
    ngx_http_complex_value_t  **ab;

    ab = ngx_http_push_approval_module_loc_conf(cf,
                            ((ngx_http_conf_ctx_t *) cf->ctx)->loc_conf,
                            "ngx_http_auth_basic_module", 1);

    if (ab == NULL
        || ab[0] == NULL || ab[0] == NGX_CONF_UNSET_PTR
        || ab[1] == NULL || ab[1] == NGX_CONF_UNSET_PTR)
    {
        return 0;
    }

    return !(ab[0]->lengths == NULL
             && ab[0]->value.len == 3
             && ngx_strncmp(ab[0]->value.data, "off", 3) == 0);
}


/* "$remote_user" or "${remote_user}" in a complex value's source */

static ngx_uint_t
ngx_http_push_approval_uses_remote_user(ngx_str_t *v)
{
    u_char  *p, *last;

    last = v->data + v->len;

    if (ngx_strlcasestrn(v->data, last, (u_char *) "${remote_user}",
                         sizeof("${remote_user}") - 2)
        != NULL)
    {
        return 1;
    }

    for (p = v->data; p < last; p++) {
        p = ngx_strlcasestrn(p, last, (u_char *) "$remote_user",
                             sizeof("$remote_user") - 2);
        if (p == NULL) {
            return 0;
        }

        p += sizeof("$remote_user") - 1;

        if (p == last
            || !(*p == '_' || (*p >= '0' && *p <= '9')
                 || ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')))
        {
            return 1;
        }
    }

    return 0;
}


static void
ngx_http_push_approval_approvers(ngx_queue_t *locations, ngx_uint_t *all,
    ngx_uint_t *identity)
{
    ngx_queue_t                        *q;
    ngx_http_core_loc_conf_t           *clcf;
    ngx_http_location_queue_t          *lq;
    ngx_http_push_approval_loc_conf_t  *plcf;

    for (q = ngx_queue_head(locations);
         q != ngx_queue_sentinel(locations);
         q = ngx_queue_next(q))
    {
        lq = (ngx_http_location_queue_t *) q;
        clcf = lq->exact ? lq->exact : lq->inclusive;

        plcf = clcf->loc_conf[ngx_http_push_approval_module.ctx_index];

        if (plcf->endpoint == NGX_HTTP_PUSH_APPROVAL_EP_APPROVE) {
            (*all)++;

            if (plcf->identity) {
                (*identity)++;
            }
        }

        if (clcf->locations) {
            ngx_http_push_approval_approvers(clcf->locations, all, identity);
        }
    }
}


static ngx_int_t
ngx_http_push_approval_init_process(ngx_cycle_t *cycle)
{
    ngx_http_push_approval_event_t  e;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    if (ngx_http_push_approval_journal_init(cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_memzero(&e, sizeof(ngx_http_push_approval_event_t));
    ngx_http_push_approval_event("writer_start", &e);

    return ngx_http_push_approval_wake_init(cycle);
}


static void
ngx_http_push_approval_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_push_approval_event_t  e;

    ngx_http_push_approval_wake_exit(cycle);

    ngx_memzero(&e, sizeof(ngx_http_push_approval_event_t));
    ngx_http_push_approval_event("writer_stop", &e);

    ngx_http_push_approval_journal_exit(cycle);
}
