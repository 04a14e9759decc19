
/*
 * ngx_http_push_approval_console.c: the console endpoint and the metrics
 * location.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_CONSOLE_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_CONSOLE_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


ngx_int_t ngx_http_push_approval_console_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_push_approval_metrics_handler(ngx_http_request_t *r);


#endif /* _NGX_HTTP_PUSH_APPROVAL_CONSOLE_H_INCLUDED_ */
