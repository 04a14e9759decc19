
/*
 * ngx_http_push_approval_line.c: a journal line read back into its fields.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_LINE_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_LINE_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


#define NGX_HTTP_PUSH_APPROVAL_LINE_FIELDS   32

typedef struct {
    ngx_uint_t                    n;
    ngx_str_t                     key[NGX_HTTP_PUSH_APPROVAL_LINE_FIELDS];
    ngx_str_t                     value[NGX_HTTP_PUSH_APPROVAL_LINE_FIELDS];
    u_char                        number[NGX_HTTP_PUSH_APPROVAL_LINE_FIELDS];
    uint64_t                      seq;
    ngx_str_t                     writer;
} ngx_http_push_approval_fields_t;


ngx_int_t ngx_http_push_approval_line_parse(u_char *p, u_char *last,
    u_char *dec, ngx_http_push_approval_fields_t *f);
ngx_str_t *ngx_http_push_approval_line_field(
    ngx_http_push_approval_fields_t *f, const char *name);


#endif /* _NGX_HTTP_PUSH_APPROVAL_LINE_H_INCLUDED_ */
