
/*
 * The directives: their table, their handlers, and the checks nginx -t
 * runs on each value as it is read.  Checks across directives are made
 * when the configuration is merged (module.c).
 */


#include "ngx_http_push_approval_module.h"


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
static char *ngx_http_push_approval_audit_key_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_push_approval_redis_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_push_approval_redis_address(ngx_conf_t *cf,
    ngx_http_push_approval_redis_conf_t *rc, ngx_str_t *addr);
static char *ngx_http_push_approval_stream(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_push_approval_webhook_refused(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_push_approval_journal(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
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


ngx_command_t  ngx_http_push_approval_commands[] = {

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

    { ngx_string("push_approval_audit_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_audit_key_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE123,
      ngx_http_push_approval_redis_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_stream"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_push_approval_stream,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_webhook_secret"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_webhook_refused,
      0,
      0,
      NULL },

    { ngx_string("push_approval_webhook_inbound_secret"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_webhook_refused,
      0,
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

ngx_int_t
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


/*
 * Standard Webhooks (interface.md §5.3) are not built yet: a configuration
 * that counts on a signed webhook must not start without one.
 */

static char *
ngx_http_push_approval_webhook_refused(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    return "is not available in this version (Standard Webhooks are planned)";
}


/* read (or checked by nginx -t) once the journal is known */

static char *
ngx_http_push_approval_audit_key_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_push_approval_main_conf_t  *pmcf = conf;

    ngx_str_t  *value;

    if (pmcf->audit_key.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    pmcf->audit_key = value[1];

    if (ngx_conf_full_name(cf->cycle, &pmcf->audit_key, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* ADDRESS [password=STR] [db=N]; numeric: hiredis resolves names blocking */

static char *
ngx_http_push_approval_redis_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_push_approval_main_conf_t  *pmcf = conf;

    ngx_int_t                             n;
    ngx_str_t                            *value;
    ngx_uint_t                            i;
    ngx_http_push_approval_redis_conf_t  *rc;

    if (pmcf->redis) {
        return "is duplicate";
    }

    rc = ngx_pcalloc(cf->pool, sizeof(ngx_http_push_approval_redis_conf_t));
    if (rc == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    if (ngx_http_push_approval_redis_address(cf, rc, &value[1])
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "password=", 9) == 0
            && value[i].len > 9 && rc->password.len == 0)
        {
            rc->password.data = value[i].data + 9;
            rc->password.len = value[i].len - 9;
            continue;
        }

        if (ngx_strncmp(value[i].data, "db=", 3) == 0) {
            n = ngx_atoi(value[i].data + 3, value[i].len - 3);
            if (n == NGX_ERROR || n > 1000000) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid database \"%V\"", &value[i]);
                return NGX_CONF_ERROR;
            }

            rc->db = n;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    pmcf->redis = rc;

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_redis_address(ngx_conf_t *cf,
    ngx_http_push_approval_redis_conf_t *rc, ngx_str_t *addr)
{
    u_char     *colon;
    ngx_int_t   port;
    ngx_str_t   host;
    u_char      buf[NGX_INET6_ADDRSTRLEN];

    rc->addr = *addr;

    if (addr->len > 5 && ngx_strncmp(addr->data, "unix:", 5) == 0) {
        rc->unix_path.data = addr->data + 5;
        rc->unix_path.len = addr->len - 5;

        if (rc->unix_path.len >= 100 || rc->unix_path.data[0] != '/') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid unix socket \"%V\"", addr);
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;     /* value[] strings are null-terminated */
    }

    colon = ngx_strlchr(addr->data, addr->data + addr->len, ']');
    colon = ngx_strlchr(colon ? colon : addr->data, addr->data + addr->len,
                        ':');

    host.data = addr->data;
    host.len = colon ? (size_t) (colon - addr->data) : 0;

    if (host.len > 2 && host.data[0] == '[' && host.data[host.len - 1] == ']')
    {
        host.data++;
        host.len -= 2;
    }

    port = colon ? ngx_atoi(colon + 1, addr->data + addr->len - colon - 1)
                 : NGX_ERROR;

    if (port < 1 || port > 65535 || host.len == 0
        || host.len >= sizeof(buf)
        || (ngx_inet_addr(host.data, host.len) == INADDR_NONE
#if (NGX_HAVE_INET6)
            && ngx_inet6_addr(host.data, host.len, buf) != NGX_OK
#endif
           ))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid address \"%V\": use a numeric "
                           "HOST:PORT ([IPv6]:PORT) or unix:/PATH, names are "
                           "not resolved", addr);
        return NGX_CONF_ERROR;
    }

    rc->host.data = ngx_pnalloc(cf->pool, host.len + 1);
    if (rc->host.data == NULL) {
        return NGX_CONF_ERROR;
    }

    rc->host.len = host.len;
    ngx_cpystrn(rc->host.data, host.data, host.len + 1);
    rc->port = port;

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_stream(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_push_approval_main_conf_t  *pmcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (pmcf->stream.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].len > 128) {
        return "needs a name of 1 to 128 characters";
    }

    pmcf->stream = value[1];

    if (cf->args->nelts == 3) {
        n = ngx_strncmp(value[2].data, "maxlen=", 7) == 0
            ? ngx_atoi(value[2].data + 7, value[2].len - 7) : NGX_ERROR;

        if (n < 1) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\", use maxlen=N",
                               &value[2]);
            return NGX_CONF_ERROR;
        }

        pmcf->stream_maxlen = n;
    }

    return NGX_CONF_OK;
}


/* created at start by the master and given to the workers' user */

char *
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
