
/*
 * ngx_http_push_approval_wake.c: cross-worker wake-up and the per-worker
 * waiter index.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_WAKE_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_WAKE_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


ngx_int_t ngx_http_push_approval_wake_init(ngx_cycle_t *cycle);
void ngx_http_push_approval_wake_exit(ngx_cycle_t *cycle);
void ngx_http_push_approval_wake_add(ngx_http_push_approval_ctx_t *ctx);
void ngx_http_push_approval_wake_del(ngx_http_push_approval_ctx_t *ctx);
void ngx_http_push_approval_wake_broadcast(
    ngx_http_push_approval_zone_t *zone, u_char *id);
void ngx_http_push_approval_wake_hold(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
void ngx_http_push_approval_wake_unhold(ngx_http_push_approval_ctx_t *ctx);


#endif /* _NGX_HTTP_PUSH_APPROVAL_WAKE_H_INCLUDED_ */
