
/*
 * ngx_http_push_approval_challenge.c: challenges in the zone: create, join,
 * look up, redeem.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_CHALLENGE_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_CHALLENGE_H_INCLUDED_


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_zone.h"


/* a challenge in the zone, its strings in data[] */
typedef struct {
    ngx_rbtree_node_t             node;         /* key: first id bytes */
    ngx_queue_t                   queue;        /* by purge time */
    ngx_rbtree_node_t             join;         /* key: join key bytes */
    u_char                        id[NGX_HTTP_PUSH_APPROVAL_ID_BYTES];
    u_char                        join_key[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char                        code_mac[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char                        user_hash[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char                        ip_hash[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char                        agent_hash[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char                        who[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    time_t                        created;
    time_t                        expires;      /* end of the wait */
    time_t                        decided;
    time_t                        purge;        /* when the node may go */
    time_t                        ttl;
    uint32_t                      methods;
    uint32_t                      lockout_period;
    uint8_t                       lockout_n;
    uint8_t                       state;
    uint8_t                       answer;
    uint8_t                       wrong_codes;
    unsigned                      code_required:1;
    unsigned                      joinable:1;
    unsigned                      joined:1;     /* in the join tree */
    unsigned                      redeemed:1;
    unsigned                      separate:1;
    unsigned                      bind:2;
    /* lengths of the strings in data[], in this order */
    u_char                        user_len;
    u_char                        approver_len;
    u_char                        unlocks_len;
    u_char                        server_len;
    u_char                        scope_len;
    u_char                        client_len;
    u_char                        agent_len;
    u_char                        method_len;
    u_char                        uri_len;
    u_char                        decided_by_len;
    u_char                        cookie_len;
    uint8_t                       cookie_flags;
    u_char                        data[1];
} ngx_http_push_approval_node_t;


/* a request's snapshot of a challenge, in request memory */
struct ngx_http_push_approval_challenge_s {
    u_char                        id[NGX_HTTP_PUSH_APPROVAL_ID_BYTES];
    ngx_str_t                     id_text;
    ngx_str_t                     user;
    ngx_str_t                     approver;
    ngx_str_t                     unlocks;
    ngx_str_t                     server;
    ngx_str_t                     scope;
    ngx_str_t                     client;
    ngx_str_t                     agent;
    ngx_str_t                     method;
    ngx_str_t                     uri;
    ngx_str_t                     decided_by;
    ngx_str_t                     cookie;       /* approval cookie name */
    ngx_uint_t                    cookie_flags; /* COOKIE_* */
    u_char                        user_hash[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char                        ip_hash[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char                        agent_hash[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char                        join_key[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char                        code_mac[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char                        who[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    ngx_str_t                     code;         /* only in the creator */
    time_t                        created;
    time_t                        expires;
    time_t                        decided;
    time_t                        ttl;
    uint32_t                      methods;
    ngx_uint_t                    lockout_n;
    time_t                        lockout_period;
    ngx_uint_t                    state;
    ngx_uint_t                    answer;
    ngx_uint_t                    bind;
    unsigned                      code_required:1;
    unsigned                      joinable:1;
    unsigned                      redeemed:1;
    unsigned                      separate:1;
};


void ngx_http_push_approval_rbtree_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
void ngx_http_push_approval_join_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
ngx_http_push_approval_node_t *ngx_http_push_approval_find(
    ngx_http_push_approval_shctx_t *sh, u_char *id);
ngx_http_push_approval_node_t *ngx_http_push_approval_find_live(
    ngx_http_push_approval_zone_t *zone, u_char *id);
ngx_int_t ngx_http_push_approval_challenge_create(
    ngx_http_push_approval_zone_t *zone,
    ngx_http_push_approval_challenge_t *ch, ngx_pool_t *pool);
ngx_int_t ngx_http_push_approval_challenge_join(
    ngx_http_push_approval_zone_t *zone, ngx_http_push_approval_challenge_t *ch,
    ngx_pool_t *pool);
ngx_int_t ngx_http_push_approval_challenge_lookup(
    ngx_http_push_approval_zone_t *zone, u_char *id,
    ngx_http_push_approval_challenge_t *ch, ngx_pool_t *pool);
ngx_int_t ngx_http_push_approval_challenge_state(
    ngx_http_push_approval_zone_t *zone, u_char *id, ngx_uint_t *state);
ngx_int_t ngx_http_push_approval_challenge_redeem(
    ngx_http_push_approval_zone_t *zone, u_char *id, ngx_uint_t redeem);
ngx_int_t ngx_http_push_approval_challenge_pending_for(
    ngx_http_push_approval_zone_t *zone, ngx_str_t *approver, ngx_pool_t *pool,
    ngx_array_t *out);
ngx_http_push_approval_zone_t *ngx_http_push_approval_challenge_find_any(
    ngx_http_request_t *r, u_char *id, ngx_http_push_approval_challenge_t *ch);
void ngx_http_push_approval_challenge_settle(
    ngx_http_push_approval_zone_t *zone, ngx_http_push_approval_node_t *node,
    ngx_uint_t state);
void ngx_http_push_approval_challenge_event(ngx_http_push_approval_node_t *node,
    const char *name, const char *reason);

#endif /* _NGX_HTTP_PUSH_APPROVAL_CHALLENGE_H_INCLUDED_ */
