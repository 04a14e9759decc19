
/*
 * The handlers of the endpoints' directives: push_approval_endpoint_url,
 * push_approval_endpoint (wait, approve, console) and
 * push_approval_metrics.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_endpoint_conf.h"
#include "ngx_http_push_approval_approve.h"
#include "ngx_http_push_approval_console.h"
#include "ngx_http_push_approval_wait.h"


char *
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


char *
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


char *
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
