
/*
 * ngx_http_push_approval_endpoint_conf.c: the endpoint, endpoint URL and
 * metrics directives.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_ENDPOINT_CONF_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_ENDPOINT_CONF_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


char *ngx_http_push_approval_endpoint_url(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_push_approval_endpoint(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_push_approval_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


#endif /* _NGX_HTTP_PUSH_APPROVAL_ENDPOINT_CONF_H_INCLUDED_ */
