
/*
 * ngx_http_push_approval_decide.c: how a challenge ends: notify outcome,
 * decision, timeout.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_DECIDE_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_DECIDE_H_INCLUDED_


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_challenge.h"


ngx_int_t ngx_http_push_approval_decide_notified(
    ngx_http_push_approval_zone_t *zone, u_char *id, ngx_uint_t ok);
ngx_int_t ngx_http_push_approval_decide(
    ngx_http_push_approval_zone_t *zone, u_char *id, ngx_uint_t decision,
    ngx_str_t *code, ngx_http_push_approval_keyring_t *ring,
    ngx_str_t *approver, ngx_uint_t *result);


#endif /* _NGX_HTTP_PUSH_APPROVAL_DECIDE_H_INCLUDED_ */
