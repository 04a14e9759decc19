
/*
 * ngx_http_push_approval_limit.c: prompt limits and lockouts per user.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_LIMIT_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_LIMIT_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


void ngx_http_push_approval_user_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
ngx_int_t ngx_http_push_approval_limit(ngx_http_push_approval_zone_t *zone,
    ngx_http_push_approval_loc_conf_t *plcf, u_char *user_hash,
    ngx_uint_t create, ngx_uint_t *status, time_t *retry);
time_t ngx_http_push_approval_limit_failure_locked(
    ngx_http_push_approval_zone_t *zone, u_char *who, ngx_uint_t reported,
    ngx_uint_t lockout_n, time_t lockout_period);
void ngx_http_push_approval_who(ngx_http_push_approval_zone_t *zone,
    ngx_str_t *user, u_char *who);
void ngx_http_push_approval_limit_reclaim_locked(
    ngx_http_push_approval_zone_t *zone, ngx_uint_t n);
void ngx_http_push_approval_limit_expire_locked(
    ngx_http_push_approval_zone_t *zone, ngx_uint_t n);


#endif /* _NGX_HTTP_PUSH_APPROVAL_LIMIT_H_INCLUDED_ */
