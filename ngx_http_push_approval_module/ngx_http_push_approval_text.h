
/*
 * ngx_http_push_approval_text.c: a methods mask and a duration in words, a
 * method's bit.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_TEXT_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_TEXT_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


ngx_uint_t ngx_http_push_approval_method_bit(ngx_http_request_t *r);
u_char *ngx_http_push_approval_methods_text(u_char *buf, ngx_uint_t methods);
                                                   /* buf: 128 bytes */
u_char *ngx_http_push_approval_ttl_text(u_char *buf, time_t ttl);
                                                   /* buf: 64 bytes */
u_char *ngx_http_push_approval_text_uint(u_char *p, uint64_t n,
    size_t width);


#endif /* _NGX_HTTP_PUSH_APPROVAL_TEXT_H_INCLUDED_ */
