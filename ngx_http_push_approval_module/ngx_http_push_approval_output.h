
/*
 * ngx_http_push_approval_output.c: the answer buffer, the page frame,
 * sending, headers.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_OUTPUT_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_OUTPUT_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


/* a growing buffer in the request pool, for a page or a JSON body */
typedef struct {
    u_char                       *start;
    u_char                       *pos;
    u_char                       *end;
    ngx_pool_t                   *pool;
    ngx_str_t                     nonce;        /* pages only */
    ngx_uint_t                    failed;       /* out of memory */
} ngx_http_push_approval_out_t;


#define ngx_http_push_approval_out_lit(o, s)                                 \
    ngx_http_push_approval_out_raw(o, (u_char *) s, sizeof(s) - 1)

#define ngx_http_push_approval_out_str(o, s)                                 \
    ngx_http_push_approval_out_raw(o, (s)->data, (s)->len)


ngx_int_t ngx_http_push_approval_send_page(ngx_http_request_t *r,
    ngx_uint_t http_status, ngx_str_t *title, ngx_str_t *html);
ngx_int_t ngx_http_push_approval_send_json(ngx_http_request_t *r,
    ngx_uint_t http_status, ngx_str_t *json);
ngx_int_t ngx_http_push_approval_send_buf(ngx_http_request_t *r,
    ngx_uint_t http_status, ngx_str_t *type, ngx_str_t *body,
    ngx_str_t *nonce);
ngx_int_t ngx_http_push_approval_page_begin(ngx_http_request_t *r,
    ngx_http_push_approval_out_t *o, ngx_str_t *title, ngx_str_t *head);
ngx_int_t ngx_http_push_approval_page_end(ngx_http_request_t *r,
    ngx_http_push_approval_out_t *o, ngx_uint_t http_status,
    const char *script);
ngx_int_t ngx_http_push_approval_send_out(ngx_http_request_t *r,
    ngx_http_push_approval_out_t *o, ngx_uint_t http_status,
    const char *type);
void ngx_http_push_approval_field(ngx_http_push_approval_out_t *o,
    const char *label, const char *id, ngx_str_t *value);
void ngx_http_push_approval_out_init(ngx_http_push_approval_out_t *o,
    ngx_pool_t *pool);
void ngx_http_push_approval_out_raw(ngx_http_push_approval_out_t *o,
    u_char *data, size_t len);
void ngx_http_push_approval_out_html(ngx_http_push_approval_out_t *o,
    ngx_str_t *s);
void ngx_http_push_approval_out_json(ngx_http_push_approval_out_t *o,
    ngx_str_t *s);
void ngx_http_push_approval_out_printf(ngx_http_push_approval_out_t *o,
    const char *fmt, ...);


#endif /* _NGX_HTTP_PUSH_APPROVAL_OUTPUT_H_INCLUDED_ */
