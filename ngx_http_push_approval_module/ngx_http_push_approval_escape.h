
/*
 * ngx_http_push_approval_escape.c: UTF-8, JSON and HTML escaping, one-line
 * plain text.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_ESCAPE_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_ESCAPE_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


size_t ngx_http_push_approval_utf8(u_char *p, u_char *last, uint32_t *cp);
size_t ngx_http_push_approval_json_len(ngx_str_t *s);
u_char *ngx_http_push_approval_json_escape(u_char *dst, ngx_str_t *s);
size_t ngx_http_push_approval_html_len(ngx_str_t *s);
u_char *ngx_http_push_approval_html_escape(u_char *dst, ngx_str_t *s);
ngx_int_t ngx_http_push_approval_clean_text(ngx_str_t *src, size_t max,
    ngx_str_t *dst, ngx_pool_t *pool);


#endif /* _NGX_HTTP_PUSH_APPROVAL_ESCAPE_H_INCLUDED_ */
