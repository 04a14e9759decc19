
/*
 * ngx_http_push_approval_parse.c: base64url, approval ids, form bodies.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_PARSE_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_PARSE_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


#define NGX_HTTP_PUSH_APPROVAL_FORM_MAX      1024


void ngx_http_push_approval_b64url_encode(ngx_str_t *dst, ngx_str_t *src);
ngx_int_t ngx_http_push_approval_b64url_decode(ngx_str_t *dst, ngx_str_t *src);
ngx_int_t ngx_http_push_approval_parse_id(ngx_str_t *text, u_char *id);
ngx_int_t ngx_http_push_approval_form_value(ngx_str_t *body,
    const char *name, ngx_str_t *value);


#endif /* _NGX_HTTP_PUSH_APPROVAL_PARSE_H_INCLUDED_ */
