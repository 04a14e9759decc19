
/*
 * The shared zone: the node's truth about challenges (challenge.c,
 * decide.c), issued approvals (grant.c) and the workers that can be woken
 * (workers.c).  Here: the zone made at start, its trees, and what frees
 * the expired entries.  Every function takes the zone's mutex for a
 * bounded amount of work and never does I/O under it.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_zone.h"
#include "ngx_http_push_approval_challenge.h"
#include "ngx_http_push_approval_grant.h"
#include "ngx_http_push_approval_keys.h"
#include "ngx_http_push_approval_limit.h"


static void ngx_http_push_approval_expire_grants(
    ngx_http_push_approval_zone_t *zone, ngx_queue_t *queue, ngx_uint_t n,
    ngx_uint_t sorted);
static void ngx_http_push_approval_requeue(ngx_queue_t *queue,
    ngx_queue_t *q);


ngx_int_t
ngx_http_push_approval_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_push_approval_zone_t  *ozone = data;

    size_t                           len;
    ngx_http_push_approval_zone_t   *zone;
    ngx_http_push_approval_shctx_t  *sh;

    zone = shm_zone->data;

    if (ozone) {
        zone->sh = ozone->sh;
        zone->shpool = ozone->shpool;
        return NGX_OK;
    }

    zone->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        zone->sh = zone->shpool->data;
        return NGX_OK;
    }

    sh = ngx_slab_calloc(zone->shpool, sizeof(ngx_http_push_approval_shctx_t));
    if (sh == NULL) {
        return NGX_ERROR;
    }

    zone->sh = sh;
    zone->shpool->data = sh;
    zone->fresh = 1;

    if (ngx_http_push_approval_random(sh->salt, sizeof(sh->salt)) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_rbtree_init(&sh->challenges, &sh->challenges_sentinel,
                    ngx_http_push_approval_rbtree_insert);
    ngx_rbtree_init(&sh->joins, &sh->joins_sentinel,
                    ngx_http_push_approval_join_insert);
    ngx_rbtree_init(&sh->grants, &sh->grants_sentinel,
                    ngx_http_push_approval_grant_insert);
    ngx_rbtree_init(&sh->users, &sh->users_sentinel,
                    ngx_http_push_approval_user_insert);
    ngx_queue_init(&sh->challenge_queue);
    ngx_queue_init(&sh->grant_queue);
    ngx_queue_init(&sh->recovered_queue);
    ngx_queue_init(&sh->user_queue);

    len = sizeof(" in push_approval zone \"\"") + shm_zone->shm.name.len;

    zone->shpool->log_ctx = ngx_slab_alloc(zone->shpool, len);
    if (zone->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(zone->shpool->log_ctx, " in push_approval zone \"%V\"%Z",
                &shm_zone->shm.name);

    zone->shpool->log_nomem = 0;

    return NGX_OK;
}


/*
 * The zone's trees are keyed by 16 bytes (an id, a join key) at a fixed
 * offset from the tree node; node->key holds their first four bytes.
 */

void
ngx_http_push_approval_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel, ptrdiff_t off)
{
    ngx_rbtree_node_t  **p;

    for ( ;; ) {

        if (node->key != temp->key) {
            p = (node->key < temp->key) ? &temp->left : &temp->right;

        } else {
            p = (ngx_memcmp((u_char *) node + off, (u_char *) temp + off,
                            NGX_HTTP_PUSH_APPROVAL_ID_BYTES) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


ngx_rbtree_node_t *
ngx_http_push_approval_lookup(ngx_rbtree_t *tree, u_char *key, ptrdiff_t off)
{
    ngx_int_t           rc;
    ngx_rbtree_key_t    k;
    ngx_rbtree_node_t  *node, *sentinel;

    k = ngx_http_push_approval_key(key);
    node = tree->root;
    sentinel = tree->sentinel;

    while (node != sentinel) {

        if (k != node->key) {
            node = (k < node->key) ? node->left : node->right;
            continue;
        }

        rc = ngx_memcmp(key, (u_char *) node + off,
                        NGX_HTTP_PUSH_APPROVAL_ID_BYTES);

        if (rc == 0) {
            return node;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


void
ngx_http_push_approval_zone_expire(ngx_http_push_approval_zone_t *zone,
    ngx_uint_t n)
{
    ngx_shmtx_lock(&zone->shpool->mutex);
    ngx_http_push_approval_expire_locked(zone, n);
    ngx_shmtx_unlock(&zone->shpool->mutex);
}


/* frees at most n challenges past their purge time, and n old grants */

void
ngx_http_push_approval_expire_locked(ngx_http_push_approval_zone_t *zone,
    ngx_uint_t n)
{
    time_t                           now;
    ngx_uint_t                       i;
    ngx_queue_t                     *q;
    ngx_http_push_approval_node_t   *node;
    ngx_http_push_approval_shctx_t  *sh;

    sh = zone->sh;
    now = ngx_time();

    for (i = 0; i < n && !ngx_queue_empty(&sh->challenge_queue); i++) {
        q = ngx_queue_last(&sh->challenge_queue);
        node = ngx_queue_data(q, ngx_http_push_approval_node_t, queue);

        if (node->purge > now) {
            ngx_http_push_approval_requeue(&sh->challenge_queue, q);
            continue;
        }

        if (node->state <= NGX_HTTP_PUSH_APPROVAL_PENDING) {
            ngx_http_push_approval_challenge_settle(zone, node,
                                          NGX_HTTP_PUSH_APPROVAL_TIMEOUT);
        }

        ngx_queue_remove(q);
        ngx_rbtree_delete(&sh->challenges, &node->node);
        ngx_slab_free_locked(zone->shpool, node);
    }

    ngx_http_push_approval_limit_expire_locked(zone, n);

    ngx_http_push_approval_expire_grants(zone, &sh->grant_queue, n, 0);
    ngx_http_push_approval_expire_grants(zone, &sh->recovered_queue, n, 1);
}


/*
 * The queues are in creation order, but lifetimes differ (each place has
 * its own push_approval_wait and push_approval_ttl): an entry that lives
 * longer than those behind it goes to the other end, so that it does not
 * keep them from being freed.  sorted: the queue is in expiry order.
 */

static void
ngx_http_push_approval_expire_grants(ngx_http_push_approval_zone_t *zone,
    ngx_queue_t *queue, ngx_uint_t n, ngx_uint_t sorted)
{
    time_t                           now;
    ngx_uint_t                       i;
    ngx_queue_t                     *q;
    ngx_http_push_approval_grant_t  *g;

    now = ngx_time();

    for (i = 0; i < n && !ngx_queue_empty(queue); i++) {
        q = ngx_queue_last(queue);
        g = ngx_queue_data(q, ngx_http_push_approval_grant_t, queue);

        if (g->expires > now) {
            if (sorted) {
                break;
            }

            ngx_http_push_approval_requeue(queue, q);
            continue;
        }

        ngx_queue_remove(q);
        ngx_rbtree_delete(&zone->sh->grants, &g->node);
        ngx_slab_free_locked(zone->shpool, g);
    }
}


static void
ngx_http_push_approval_requeue(ngx_queue_t *queue, ngx_queue_t *q)
{
    ngx_queue_remove(q);
    ngx_queue_insert_head(queue, q);
}


void
ngx_http_push_approval_zone_stats(ngx_http_push_approval_zone_t *zone,
    ngx_uint_t *pending, size_t *bytes)
{
    time_t                          now;
    ngx_uint_t                      n;
    ngx_queue_t                    *q;
    ngx_slab_pool_t                *pool;
    ngx_http_push_approval_node_t  *node;

    pool = zone->shpool;
    now = ngx_time();
    n = 0;

    ngx_shmtx_lock(&pool->mutex);

    ngx_http_push_approval_expire_locked(zone, 64);

    for (q = ngx_queue_head(&zone->sh->challenge_queue);
         q != ngx_queue_sentinel(&zone->sh->challenge_queue);
         q = ngx_queue_next(q))
    {
        node = ngx_queue_data(q, ngx_http_push_approval_node_t, queue);

        if (node->state <= NGX_HTTP_PUSH_APPROVAL_PENDING
            && node->expires > now)
        {
            n++;
        }
    }

    *pending = n;
    *bytes = (size_t) ((pool->end - pool->start) / ngx_pagesize - pool->pfree)
             * ngx_pagesize;

    ngx_shmtx_unlock(&pool->mutex);
}
