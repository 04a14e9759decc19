
/*
 * ngx_http_push_approval_audit.c: the audit key: load, generate, sign
 * checkpoints.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_AUDIT_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_AUDIT_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


char *ngx_http_push_approval_audit_key(ngx_conf_t *cf,
    ngx_http_push_approval_main_conf_t *pmcf);
u_char *ngx_http_push_approval_audit_sign(void *pkey, u_char *start,
    u_char *end);


#endif /* _NGX_HTTP_PUSH_APPROVAL_AUDIT_H_INCLUDED_ */
