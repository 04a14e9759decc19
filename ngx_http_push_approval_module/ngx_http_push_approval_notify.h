
/*
 * ngx_http_push_approval_notify.c: the notify subrequest, its pool, the
 * notify variables.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_NOTIFY_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_NOTIFY_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


ngx_int_t ngx_http_push_approval_notify(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_loc_conf_t *plcf);
void ngx_http_push_approval_notify_release(ngx_http_push_approval_ctx_t *ctx,
    ngx_uint_t force);
ngx_int_t ngx_http_push_approval_add_variables(ngx_conf_t *cf);
ngx_int_t ngx_http_push_approval_notify_approve_url(ngx_http_request_t *r,
    ngx_str_t *base, ngx_http_push_approval_challenge_t *ch, ngx_str_t *url);
ngx_int_t ngx_http_push_approval_default_unlocks(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf,
    ngx_http_push_approval_challenge_t *ch);
ngx_str_t *ngx_http_push_approval_reason_name(ngx_uint_t reason);


#endif /* _NGX_HTTP_PUSH_APPROVAL_NOTIFY_H_INCLUDED_ */
