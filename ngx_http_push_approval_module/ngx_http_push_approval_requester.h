
/*
 * ngx_http_push_approval_requester.c: the interstitial, the two-step 401,
 * the cross-site page.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_REQUESTER_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_REQUESTER_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


ngx_int_t ngx_http_push_approval_send_interstitial(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf,
    ngx_http_push_approval_challenge_t *ch, ngx_str_t *wait_url);
ngx_int_t ngx_http_push_approval_send_two_step(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf,
    ngx_http_push_approval_challenge_t *ch, ngx_str_t *wait_path,
    ngx_str_t *pending);
ngx_int_t ngx_http_push_approval_send_cross_site(ngx_http_request_t *r);


#endif /* _NGX_HTTP_PUSH_APPROVAL_REQUESTER_H_INCLUDED_ */
