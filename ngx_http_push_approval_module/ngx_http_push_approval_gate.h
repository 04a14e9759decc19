
/*
 * ngx_http_push_approval_gate.c: the precontent handler: the per-request
 * state machine.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_GATE_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_GATE_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


void ngx_http_push_approval_gate_challenge_event(
    ngx_http_push_approval_challenge_t *ch, const char *name,
    ngx_str_t *approver, const char *reason);
ngx_int_t ngx_http_push_approval_gate_handler(ngx_http_request_t *r);
void ngx_http_push_approval_cleanup(void *data);
void ngx_http_push_approval_hold(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
void ngx_http_push_approval_unhold(ngx_http_push_approval_ctx_t *ctx);
ngx_uint_t ngx_http_push_approval_state_status(ngx_uint_t state);


#endif /* _NGX_HTTP_PUSH_APPROVAL_GATE_H_INCLUDED_ */
