
/*
 * Directives, configuration and module hooks.
 */


#include "ngx_http_push_approval_module.h"


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
static ngx_int_t ngx_http_push_approval_check_servers(ngx_conf_t *cf);
static ngx_int_t ngx_http_push_approval_valid_path(ngx_str_t *s);
static ngx_int_t ngx_http_push_approval_init_process(ngx_cycle_t *cycle);
static void ngx_http_push_approval_exit_process(ngx_cycle_t *cycle);

static char *ngx_http_push_approval_zone_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_push_approval_secret_file(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_push_approval_endpoint_url(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_push_approval(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_push_approval_scope(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_push_approval_methods(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_push_approval_notify_uri(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_push_approval_bind(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_push_approval_cookie(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_push_approval_endpoint(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_push_approval_metrics(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_push_approval_rate(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_push_approval_journal(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_push_approval_journal_path(ngx_conf_t *cf,
    ngx_http_push_approval_main_conf_t *pmcf, ngx_str_t *name);
static char *ngx_http_push_approval_check_ttl(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_push_approval_check_wait(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_push_approval_check_digits(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_push_approval_check_node(ngx_conf_t *cf, void *post,
    void *data);


static ngx_conf_post_handler_pt  ngx_http_push_approval_ttl_post =
    ngx_http_push_approval_check_ttl;
static ngx_conf_post_handler_pt  ngx_http_push_approval_wait_post =
    ngx_http_push_approval_check_wait;
static ngx_conf_post_handler_pt  ngx_http_push_approval_digits_post =
    ngx_http_push_approval_check_digits;
static ngx_conf_post_handler_pt  ngx_http_push_approval_node_post =
    ngx_http_push_approval_check_node;


static ngx_conf_enum_t  ngx_http_push_approval_modes[] = {
    { ngx_string("auto"), NGX_HTTP_PUSH_APPROVAL_MODE_AUTO },
    { ngx_string("hold"), NGX_HTTP_PUSH_APPROVAL_MODE_HOLD },
    { ngx_string("page"), NGX_HTTP_PUSH_APPROVAL_MODE_PAGE },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_push_approval_commands[] = {

    { ngx_string("push_approval_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_zone_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_secret_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_secret_file,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_journal"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_push_approval_journal,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_node"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_push_approval_main_conf_t, node),
      &ngx_http_push_approval_node_post },

    { ngx_string("push_approval_endpoint_url"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_endpoint_url,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval"),
      NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_user"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, user),
      NULL },

    { ngx_string("push_approval_approver"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, approver),
      NULL },

    { ngx_string("push_approval_unlocks"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, unlocks),
      NULL },

    { ngx_string("push_approval_scope"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_scope,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_methods"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_push_approval_methods,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, ttl),
      &ngx_http_push_approval_ttl_post },

    { ngx_string("push_approval_wait"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, wait),
      &ngx_http_push_approval_wait_post },

    { ngx_string("push_approval_notify"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_notify_uri,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_mode"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, mode),
      &ngx_http_push_approval_modes },

    { ngx_string("push_approval_code_digits"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, code_digits),
      &ngx_http_push_approval_digits_post },

    { ngx_string("push_approval_bind"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF
                        |NGX_CONF_NOARGS|NGX_CONF_TAKE12,
      ngx_http_push_approval_bind,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_cookie"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE123,
      ngx_http_push_approval_cookie,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_prompt_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_push_approval_rate,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, prompt_n),
      NULL },

    { ngx_string("push_approval_lockout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_push_approval_rate,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, lockout_n),
      NULL },

    { ngx_string("push_approval_separate"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, separate),
      NULL },

    { ngx_string("push_approval_endpoint"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_push_approval_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_push_approval_metrics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


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
    NULL,                                  /* init module */
    ngx_http_push_approval_init_process,   /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_push_approval_exit_process,   /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* request context: survives internal redirects through the pool cleanup */

ngx_http_push_approval_ctx_t *
ngx_http_push_approval_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t            *cln;
    ngx_http_push_approval_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_push_approval_module);

    if (ctx == NULL && (r->internal || r->filter_finalize)) {
        for (cln = r->pool->cleanup; cln; cln = cln->next) {
            if (cln->handler == ngx_http_push_approval_cleanup) {
                ctx = cln->data;
                ngx_http_set_ctx(r, ctx, ngx_http_push_approval_module);
                break;
            }
        }
    }

    return ctx;
}


ngx_http_push_approval_ctx_t *
ngx_http_push_approval_create_ctx(ngx_http_request_t *r)
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

        return ngx_http_push_approval_journal_path(cf, pmcf, &name);
    }

    return NGX_CONF_OK;
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

    return ngx_http_push_approval_check_loc(cf, conf, clcf);
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

    return NGX_CONF_OK;
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


/* directives */

static char *
ngx_http_push_approval_zone_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_push_approval_main_conf_t  *pmcf = conf;

    u_char                          *p;
    ssize_t                          size;
    ngx_str_t                       *value, name, s;
    ngx_shm_zone_t                  *shm_zone;
    ngx_http_push_approval_zone_t   *zone, **zp;

    value = cf->args->elts;

    if (ngx_strncmp(value[1].data, "zone=", 5) != 0) {
        return "takes \"zone=NAME:SIZE\"";
    }

    name.data = value[1].data + 5;
    p = (u_char *) ngx_strchr(name.data, ':');

    if (p == NULL || p == name.data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    name.len = p - name.data;

    s.data = p + 1;
    s.len = value[1].data + value[1].len - s.data;

    size = ngx_parse_size(&s);

    if (size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is too small", &value[1]);
        return NGX_CONF_ERROR;
    }

    shm_zone = ngx_shared_memory_add(cf, &name, size,
                                     &ngx_http_push_approval_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "duplicate zone \"%V\"", &name);
        return NGX_CONF_ERROR;
    }

    zone = ngx_pcalloc(cf->pool, sizeof(ngx_http_push_approval_zone_t));
    if (zone == NULL) {
        return NGX_CONF_ERROR;
    }

    zone->name = name;
    zone->shm_zone = shm_zone;

    shm_zone->init = ngx_http_push_approval_init_zone;
    shm_zone->data = zone;

    zp = ngx_array_push(&pmcf->zones);
    if (zp == NULL) {
        return NGX_CONF_ERROR;
    }

    *zp = zone;

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_secret_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_push_approval_main_conf_t  *pmcf = conf;

    ngx_str_t  *value;

    if (pmcf->keyring) {
        return "is duplicate";
    }

    value = cf->args->elts;
    pmcf->secret_file = value[1];

    if (ngx_conf_full_name(cf->cycle, &pmcf->secret_file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    pmcf->keyring = ngx_http_push_approval_load_keys(cf, &pmcf->secret_file);

    return pmcf->keyring ? NGX_CONF_OK : NGX_CONF_ERROR;
}


static char *
ngx_http_push_approval_endpoint_url(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_push_approval_srv_conf_t  *pscf = conf;

    size_t      i;
    ngx_str_t  *value, *url;

    if (pscf->endpoint_url.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    url = &value[1];

    if (!((url->len > 8 && ngx_strncasecmp(url->data, (u_char *) "https://", 8)
                           == 0)
          || (url->len > 7
              && ngx_strncasecmp(url->data, (u_char *) "http://", 7) == 0)))
    {
        return "must be an absolute http:// or https:// URL";
    }

    for (i = 0; i < url->len; i++) {
        if (url->data[i] <= 0x20 || url->data[i] >= 0x7f
            || url->data[i] == '"' || url->data[i] == '<'
            || url->data[i] == '>' || url->data[i] == '\\')
        {
            return "contains a character not allowed in a URL";
        }
    }

    if (url->data[url->len - 1] != '/') {
        return "must end with \"/\", as the approve location's prefix does";
    }

    pscf->endpoint_url = *url;

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_push_approval_loc_conf_t  *plcf = conf;

    ngx_str_t                           *value, name;
    ngx_shm_zone_t                     **ref;
    ngx_http_push_approval_main_conf_t  *pmcf;

    if (plcf->shm_zone != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        plcf->shm_zone = NULL;
        return NGX_CONF_OK;
    }

    if (ngx_strncmp(value[1].data, "zone=", 5) != 0 || value[1].len == 5) {
        return "takes \"zone=NAME\" or \"off\"";
    }

    name.data = value[1].data + 5;
    name.len = value[1].len - 5;

    plcf->shm_zone = ngx_shared_memory_add(cf, &name, 0,
                                           &ngx_http_push_approval_module);
    if (plcf->shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    plcf->file = cf->conf_file->file.name.data;
    plcf->line = cf->conf_file->line;

    pmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_push_approval_module);
    pmcf->used = 1;

    ref = ngx_array_push(&pmcf->refs);
    if (ref == NULL) {
        return NGX_CONF_ERROR;
    }

    *ref = plcf->shm_zone;

    return NGX_CONF_OK;
}


/* a path prefix that is safe inside a Set-Cookie header */

static ngx_int_t
ngx_http_push_approval_valid_path(ngx_str_t *s)
{
    size_t  i;

    if (s->len == 0 || s->data[0] != '/') {
        return NGX_ERROR;
    }

    for (i = 0; i < s->len; i++) {
        if (s->data[i] <= 0x20 || s->data[i] >= 0x7f || s->data[i] == ';'
            || s->data[i] == ',' || s->data[i] == '"' || s->data[i] == '\\')
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static char *
ngx_http_push_approval_scope(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_push_approval_loc_conf_t  *plcf = conf;

    ngx_str_t  *value;

    if (plcf->scope.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_push_approval_valid_path(&value[1]) != NGX_OK
        || value[1].len > NGX_HTTP_PUSH_APPROVAL_SCOPE_MAX)
    {
        return "must be a path starting with \"/\", without spaces, "
               "quotes, \";\" or \",\", at most 100 characters";
    }

    plcf->scope = value[1];

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_methods(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_push_approval_loc_conf_t  *plcf = conf;

    ngx_str_t   *value;
    ngx_uint_t   i, m;

    static ngx_conf_bitmask_t  methods[] = {
        { ngx_string("GET"), NGX_HTTP_GET|NGX_HTTP_HEAD },
        { ngx_string("HEAD"), NGX_HTTP_HEAD },
        { ngx_string("POST"), NGX_HTTP_POST },
        { ngx_string("PUT"), NGX_HTTP_PUT },
        { ngx_string("DELETE"), NGX_HTTP_DELETE },
        { ngx_string("MKCOL"), NGX_HTTP_MKCOL },
        { ngx_string("COPY"), NGX_HTTP_COPY },
        { ngx_string("MOVE"), NGX_HTTP_MOVE },
        { ngx_string("OPTIONS"), NGX_HTTP_OPTIONS },
        { ngx_string("PROPFIND"), NGX_HTTP_PROPFIND },
        { ngx_string("PROPPATCH"), NGX_HTTP_PROPPATCH },
        { ngx_string("LOCK"), NGX_HTTP_LOCK },
        { ngx_string("UNLOCK"), NGX_HTTP_UNLOCK },
        { ngx_string("PATCH"), NGX_HTTP_PATCH },
        { ngx_string("TRACE"), NGX_HTTP_TRACE },
        { ngx_string("CONNECT"), NGX_HTTP_CONNECT },
        { ngx_null_string, 0 }
    };

    if (plcf->methods != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;
    plcf->methods = 0;

    for (i = 1; i < cf->args->nelts; i++) {
        for (m = 0; methods[m].name.len; m++) {
            if (methods[m].name.len == value[i].len
                && ngx_strcmp(methods[m].name.data, value[i].data) == 0)
            {
                plcf->methods |= methods[m].mask;
                break;
            }
        }

        if (methods[m].name.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "unknown method \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_notify_uri(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_push_approval_loc_conf_t  *plcf = conf;

    ngx_str_t  *value;

    if (plcf->notify.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].data[0] != '/') {
        return "must be a URI starting with \"/\" (an internal location)";
    }

    plcf->notify = value[1];

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_bind(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_push_approval_loc_conf_t  *plcf = conf;

    ngx_str_t   *value;
    ngx_uint_t   i;

    if (plcf->bind != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;
    plcf->bind = 0;

    for (i = 1; i < cf->args->nelts; i++) {
        if (ngx_strcmp(value[i].data, "ip") == 0) {
            plcf->bind |= NGX_HTTP_PUSH_APPROVAL_BIND_IP;

        } else if (ngx_strcmp(value[i].data, "agent") == 0) {
            plcf->bind |= NGX_HTTP_PUSH_APPROVAL_BIND_AGENT;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\", "
                               "use \"ip\" and \"agent\"", &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_cookie(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_push_approval_loc_conf_t  *plcf = conf;

    size_t       i;
    ngx_str_t   *value, *name;
    ngx_uint_t   n;

    if (plcf->cookie_name.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    name = &value[1];

    if (name->len == 0 || name->len > 64) {
        return "needs a name of 1 to 64 characters";
    }

    for (i = 0; i < name->len; i++) {
        if (!((name->data[i] >= 'a' && name->data[i] <= 'z')
              || (name->data[i] >= 'A' && name->data[i] <= 'Z')
              || (name->data[i] >= '0' && name->data[i] <= '9')
              || name->data[i] == '_' || name->data[i] == '-'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid cookie name \"%V\", use letters, "
                               "digits, \"_\" and \"-\"", name);
            return NGX_CONF_ERROR;
        }
    }

    plcf->cookie_name = *name;

    for (n = 2; n < cf->args->nelts; n++) {

        if (ngx_strcmp(value[n].data, "secure=on") == 0) {
            plcf->cookie_secure = NGX_HTTP_PUSH_APPROVAL_SECURE_ON;

        } else if (ngx_strcmp(value[n].data, "secure=off") == 0) {
            plcf->cookie_secure = NGX_HTTP_PUSH_APPROVAL_SECURE_OFF;

        } else if (ngx_strcmp(value[n].data, "secure=auto") == 0) {
            plcf->cookie_secure = NGX_HTTP_PUSH_APPROVAL_SECURE_AUTO;

        } else if (ngx_strcmp(value[n].data, "samesite=strict") == 0) {
            plcf->cookie_samesite_lax = 0;

        } else if (ngx_strcmp(value[n].data, "samesite=lax") == 0) {
            plcf->cookie_samesite_lax = 1;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[n]);
            return NGX_CONF_ERROR;
        }
    }

    if (ngx_strncmp(name->data, "__Host-", 7) == 0
        && plcf->cookie_secure == NGX_HTTP_PUSH_APPROVAL_SECURE_OFF)
    {
        return "cannot set \"secure=off\" for a \"__Host-\" cookie, "
               "browsers require Secure";
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_endpoint(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_push_approval_loc_conf_t  *plcf = conf;

    ngx_str_t                           *value, s;
    ngx_http_core_loc_conf_t            *clcf;
    ngx_http_compile_complex_value_t     ccv;
    ngx_http_push_approval_main_conf_t  *pmcf;

    if (plcf->endpoint != NGX_HTTP_PUSH_APPROVAL_EP_NONE || plcf->metrics == 1)
    {
        return "is duplicate";
    }

    value = cf->args->elts;
    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (ngx_strcmp(value[1].data, "wait") == 0) {
        plcf->endpoint = NGX_HTTP_PUSH_APPROVAL_EP_WAIT;
        clcf->handler = ngx_http_push_approval_wait_handler;

    } else if (ngx_strcmp(value[1].data, "approve") == 0) {
        plcf->endpoint = NGX_HTTP_PUSH_APPROVAL_EP_APPROVE;
        clcf->handler = ngx_http_push_approval_approve_handler;

    } else if (ngx_strcmp(value[1].data, "console") == 0) {
        plcf->endpoint = NGX_HTTP_PUSH_APPROVAL_EP_CONSOLE;
        clcf->handler = ngx_http_push_approval_console_handler;

    } else if (ngx_strcmp(value[1].data, "webhook") == 0) {
        return "\"webhook\" is not available in this version";

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid endpoint \"%V\", use \"wait\", "
                           "\"approve\", \"webhook\" or \"console\"",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    if (clcf->named || clcf->exact_match
#if (NGX_PCRE)
        || clcf->regex
#endif
        || clcf->name.len == 0 || clcf->name.data[clcf->name.len - 1] != '/')
    {
        return "must be in a prefix location whose name ends with \"/\"";
    }

    plcf->endpoint_prefix = clcf->name;

    if (cf->args->nelts == 3) {
        if (ngx_strncmp(value[2].data, "identity=", 9) != 0
            || plcf->endpoint == NGX_HTTP_PUSH_APPROVAL_EP_WAIT)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[2]);
            return NGX_CONF_ERROR;
        }

        s.data = value[2].data + 9;
        s.len = value[2].len - 9;

        plcf->identity = ngx_palloc(cf->pool,
                                    sizeof(ngx_http_complex_value_t));
        if (plcf->identity == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = &s;
        ccv.complex_value = plcf->identity;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    pmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_push_approval_module);
    pmcf->endpoints = 1;

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_push_approval_loc_conf_t  *plcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (plcf->metrics != NGX_CONF_UNSET
        || plcf->endpoint != NGX_HTTP_PUSH_APPROVAL_EP_NONE)
    {
        return "is duplicate";
    }

    plcf->metrics = 1;
    plcf->endpoint = NGX_HTTP_PUSH_APPROVAL_EP_METRICS;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_push_approval_metrics_handler;

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_check_ttl(ngx_conf_t *cf, void *post, void *data)
{
    time_t  *sp = data;

    if (*sp <= 0 || *sp > 24 * 60 * 60) {
        return "must be more than 0 and at most 24h";
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_check_wait(ngx_conf_t *cf, void *post, void *data)
{
    time_t  *sp = data;

    if (*sp <= 0 || *sp > 10 * 60) {
        return "must be more than 0 and at most 10m "
               "(NIST SP 800-63B-4 §3.1.3)";
    }

    return NGX_CONF_OK;
}


/* the node name goes into every event's writer and eid, unescaped */

static char *
ngx_http_push_approval_check_node(ngx_conf_t *cf, void *post, void *data)
{
    ngx_str_t  *s = data;

    size_t  i;

    if (s->len == 0 || s->len > 64) {
        return "must have 1 to 64 characters";
    }

    for (i = 0; i < s->len; i++) {
        if (!((s->data[i] >= 'a' && s->data[i] <= 'z')
              || (s->data[i] >= 'A' && s->data[i] <= 'Z')
              || (s->data[i] >= '0' && s->data[i] <= '9')
              || s->data[i] == '-' || s->data[i] == '_' || s->data[i] == '.'))
        {
            return "must be made of letters, digits, \"-\", \"_\" and \".\"";
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_check_digits(ngx_conf_t *cf, void *post, void *data)
{
    ngx_uint_t  *np = data;

    if (*np != 0 && (*np < 6 || *np > 8)) {
        return "must be 0 (off) or 6 to 8";
    }

    return NGX_CONF_OK;
}


/* "N PERIOD": prompt_limit (N up to 64) and lockout (N up to 16) */

static char *
ngx_http_push_approval_rate(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_push_approval_loc_conf_t  *plcf = conf;

    time_t      *period, sec;
    ngx_int_t    n;
    ngx_str_t   *value;
    ngx_uint_t  *np, max;

    if (cmd->offset == offsetof(ngx_http_push_approval_loc_conf_t, prompt_n))
    {
        np = &plcf->prompt_n;
        period = &plcf->prompt_period;
        max = NGX_HTTP_PUSH_APPROVAL_PROMPTS_MAX;

    } else {
        np = &plcf->lockout_n;
        period = &plcf->lockout_period;
        max = NGX_HTTP_PUSH_APPROVAL_FAILS_MAX;
    }

    if (*np != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    n = ngx_atoi(value[1].data, value[1].len);

    if (n == NGX_ERROR || n < 1 || (ngx_uint_t) n > max) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid number \"%V\", it must be 1 to %ui",
                           &value[1], max);
        return NGX_CONF_ERROR;
    }

    sec = ngx_parse_time(&value[2], 1);

    if (sec == (time_t) NGX_ERROR || sec <= 0 || sec > 24 * 60 * 60) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid period \"%V\", it must be more than 0 "
                           "and at most 24h", &value[2]);
        return NGX_CONF_ERROR;
    }

    *np = (ngx_uint_t) n;
    *period = sec;

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_journal(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_push_approval_main_conf_t  *pmcf = conf;

    ngx_str_t  *value;

    if (pmcf->journal) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 3) {
        if (ngx_strcmp(value[2].data, "sync=fsync") == 0) {
            pmcf->journal_fsync = 1;

        } else if (ngx_strcmp(value[2].data, "sync=write") != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\", use "
                               "\"sync=write\" or \"sync=fsync\"",
                               &value[2]);
            return NGX_CONF_ERROR;
        }
    }

    return ngx_http_push_approval_journal_path(cf, pmcf, &value[1]);
}


/* created at start by the master and given to the workers' user */

static char *
ngx_http_push_approval_journal_path(ngx_conf_t *cf,
    ngx_http_push_approval_main_conf_t *pmcf, ngx_str_t *name)
{
    u_char      *p;
    ngx_path_t  *path;

    path = ngx_pcalloc(cf->pool, sizeof(ngx_path_t));
    if (path == NULL) {
        return NGX_CONF_ERROR;
    }

    path->name = *name;

    while (path->name.len > 1
           && path->name.data[path->name.len - 1] == '/')
    {
        path->name.len--;
    }

    if (ngx_conf_full_name(cf->cycle, &path->name, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* nginx creates paths by their C string */

    name = &path->name;
    p = ngx_pnalloc(cf->pool, name->len + 1);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(p, name->data, name->len);
    p[name->len] = '\0';
    name->data = p;

    path->conf_file = cf->conf_file ? cf->conf_file->file.name.data : NULL;
    path->line = cf->conf_file ? cf->conf_file->line : 0;

    if (ngx_add_path(cf, &path) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    pmcf->journal = path;

    return NGX_CONF_OK;
}
