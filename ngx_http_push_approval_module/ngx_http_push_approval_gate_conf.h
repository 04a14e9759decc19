
/*
 * ngx_http_push_approval_gate_conf.c: push_approval and the protected
 * location's directives.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_GATE_CONF_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_GATE_CONF_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


char *ngx_http_push_approval(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_push_approval_valid_path(ngx_str_t *s);
char *ngx_http_push_approval_scope(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_push_approval_methods_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_push_approval_gate_conf_notify(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_push_approval_bind(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_push_approval_gate_conf_cookie(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_push_approval_rate(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_push_approval_server_id(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


#endif /* _NGX_HTTP_PUSH_APPROVAL_GATE_CONF_H_INCLUDED_ */
