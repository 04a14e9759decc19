
/*
 * ngx_http_push_approval_headers.c: Accept, Sec-Fetch-Dest, finding and
 * adding headers, cookies.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_HEADERS_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_HEADERS_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


ngx_int_t ngx_http_push_approval_accepts_html(ngx_http_request_t *r);
ngx_int_t ngx_http_push_approval_wants_html(ngx_http_request_t *r);
ngx_int_t ngx_http_push_approval_accept_html(ngx_str_t *accept);
ngx_table_elt_t *ngx_http_push_approval_list_find(ngx_list_t *list,
    const char *name, size_t len);
ngx_table_elt_t *ngx_http_push_approval_find_header(ngx_http_request_t *r,
    const char *name, size_t len);
ngx_int_t ngx_http_push_approval_add_header(ngx_http_request_t *r,
    const char *name, ngx_str_t *value);
ngx_int_t ngx_http_push_approval_headers_cookie_values(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *values, ngx_uint_t max);


#endif /* _NGX_HTTP_PUSH_APPROVAL_HEADERS_H_INCLUDED_ */
