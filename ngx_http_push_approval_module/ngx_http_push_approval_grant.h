
/*
 * ngx_http_push_approval_grant.c: issued approvals (grants) and revocations.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_GRANT_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_GRANT_H_INCLUDED_


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_challenge.h"


/* an issued approval, kept compactly until its cookies expire */
typedef struct {
    ngx_rbtree_node_t             node;
    ngx_queue_t                   queue;        /* by expiry */
    u_char                        id[NGX_HTTP_PUSH_APPROVAL_ID_BYTES];
    time_t                        expires;
    unsigned                      revoked:1;
    u_char                        approver_len;
    u_char                        approver[1];
} ngx_http_push_approval_grant_t;


void ngx_http_push_approval_grant_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
ngx_int_t ngx_http_push_approval_add_grant(ngx_http_push_approval_zone_t *zone,
    ngx_http_push_approval_node_t *node, ngx_str_t *approver);
ngx_int_t ngx_http_push_approval_grant_lookup(
    ngx_http_push_approval_zone_t *zone, u_char *id, ngx_uint_t *revoked,
    ngx_str_t *approver, ngx_pool_t *pool);
ngx_int_t ngx_http_push_approval_grant_revoke(
    ngx_http_push_approval_zone_t *zone, u_char *id);
ngx_int_t ngx_http_push_approval_grant_recover(
    ngx_http_push_approval_zone_t *zone, u_char *id, time_t expires);
void ngx_http_push_approval_grant_distrust(ngx_http_push_approval_zone_t *zone,
    time_t until);


#endif /* _NGX_HTTP_PUSH_APPROVAL_GRANT_H_INCLUDED_ */
