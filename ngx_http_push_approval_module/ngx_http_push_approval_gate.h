
/*
 * ngx_http_push_approval_gate.c: the precontent handler: the per-request
 * state machine.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_GATE_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_GATE_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


ngx_int_t ngx_http_push_approval_gate_handler(ngx_http_request_t *r);
void ngx_http_push_approval_cleanup(void *data);


#endif /* _NGX_HTTP_PUSH_APPROVAL_GATE_H_INCLUDED_ */
