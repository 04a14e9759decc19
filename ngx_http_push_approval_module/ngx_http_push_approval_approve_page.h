
/*
 * ngx_http_push_approval_approve_page.c: the approve page.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_APPROVE_PAGE_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_APPROVE_PAGE_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


ngx_int_t ngx_http_push_approval_send_approve_page(ngx_http_request_t *r,
    ngx_http_push_approval_challenge_t *ch, ngx_str_t *action_url);


#endif /* _NGX_HTTP_PUSH_APPROVAL_APPROVE_PAGE_H_INCLUDED_ */
