
/*
 * ngx_http_push_approval_approve.c: the approve endpoint.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_APPROVE_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_APPROVE_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


ngx_int_t ngx_http_push_approval_approve_handler(ngx_http_request_t *r);


#endif /* _NGX_HTTP_PUSH_APPROVAL_APPROVE_H_INCLUDED_ */
