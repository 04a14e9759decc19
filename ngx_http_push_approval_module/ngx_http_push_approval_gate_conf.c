
/*
 * The handlers of a protected location's directives: push_approval and
 * its scope, methods, notify URI, binding, cookie, prompt limit and
 * lockout.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_gate_conf.h"
#include "ngx_http_push_approval_cookie.h"


char *
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


/* the name a server{}'s approvals are bound to, instead of server_name */

char *
ngx_http_push_approval_server_id(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_push_approval_srv_conf_t  *pscf = conf;

    ngx_str_t  *value;

    if (pscf->server_id.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_push_approval_valid_server_id(&value[1]) != NGX_OK) {
        return "must be 1 to 100 characters of a host name (letters, "
               "digits, \".\", \"-\", \"_\", \"*\", \":\", \"[\" and "
               "\"]\"), not \"_\"";
    }

    pscf->server_id = value[1];

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


char *
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


char *
ngx_http_push_approval_methods_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
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


char *
ngx_http_push_approval_gate_conf_notify(ngx_conf_t *cf, ngx_command_t *cmd,
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


char *
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


char *
ngx_http_push_approval_gate_conf_cookie(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
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


/* "N PERIOD": prompt_limit (N up to 64) and lockout (N up to 16) */

char *
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
