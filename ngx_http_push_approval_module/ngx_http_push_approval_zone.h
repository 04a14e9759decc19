
/*
 * ngx_http_push_approval_zone.c: shared memory: the zone made at start, its
 * trees, expiry.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_ZONE_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_ZONE_H_INCLUDED_


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_workers.h"


/* the zone's shared memory: its trees, the workers, the counters */
typedef struct {
    ngx_rbtree_t                  challenges;
    ngx_rbtree_node_t             challenges_sentinel;
    ngx_rbtree_t                  joins;
    ngx_rbtree_node_t             joins_sentinel;
    ngx_queue_t                   challenge_queue;
    ngx_rbtree_t                  grants;
    ngx_rbtree_node_t             grants_sentinel;
    ngx_queue_t                   grant_queue;
    ngx_queue_t                   recovered_queue;  /* from the journal */
    ngx_rbtree_t                  users;
    ngx_rbtree_node_t             users_sentinel;
    ngx_queue_t                   user_queue;

    u_char                        salt[32];     /* keys the user records */
    ngx_atomic_uint_t             decisions;    /* bumped on each decision */
    ngx_atomic_uint_t             created;
    ngx_atomic_t                  journal_events;   /* of all writers */
    time_t                        distrust;     /* grantless cookies: revoked */
    ngx_http_push_approval_worker_t
                                  workers[NGX_HTTP_PUSH_APPROVAL_MAX_WORKERS];

    /* metrics */
    ngx_atomic_uint_t             challenges_total[8];   /* by state */
    ngx_atomic_uint_t             cookie_checks[13];     /* by reason */
} ngx_http_push_approval_shctx_t;


struct ngx_http_push_approval_zone_s {
    ngx_http_push_approval_shctx_t  *sh;
    ngx_slab_pool_t                 *shpool;
    ngx_str_t                        name;
    ngx_shm_zone_t                  *shm_zone;
    time_t                           max_period;  /* of limits using it */
    unsigned                         fresh:1;     /* created by this cycle */
};


#define ngx_http_push_approval_key(id)                                        \
    (((ngx_rbtree_key_t) (id)[0] << 24) | ((id)[1] << 16) | ((id)[2] << 8)     \
     | (id)[3])


ngx_int_t ngx_http_push_approval_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
void ngx_http_push_approval_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel, ptrdiff_t off);
ngx_rbtree_node_t *ngx_http_push_approval_lookup(ngx_rbtree_t *tree,
    u_char *key, ptrdiff_t off);
void ngx_http_push_approval_expire_locked(ngx_http_push_approval_zone_t *zone,
    ngx_uint_t n);
void ngx_http_push_approval_zone_expire(ngx_http_push_approval_zone_t *zone,
    ngx_uint_t n);
void ngx_http_push_approval_zone_stats(ngx_http_push_approval_zone_t *zone,
    ngx_uint_t *pending, size_t *bytes);


#endif /* _NGX_HTTP_PUSH_APPROVAL_ZONE_H_INCLUDED_ */
