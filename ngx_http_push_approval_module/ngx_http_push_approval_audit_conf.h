
/*
 * ngx_http_push_approval_audit_conf.c: the journal, audit key, Redis and
 * stream directives.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_AUDIT_CONF_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_AUDIT_CONF_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


char *ngx_http_push_approval_audit_conf_journal(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_push_approval_audit_conf_audit_key(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_push_approval_audit_conf_redis(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_push_approval_stream(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_push_approval_audit_conf_journal_path(ngx_conf_t *cf,
    ngx_http_push_approval_main_conf_t *pmcf, ngx_str_t *name);


#endif /* _NGX_HTTP_PUSH_APPROVAL_AUDIT_CONF_H_INCLUDED_ */
