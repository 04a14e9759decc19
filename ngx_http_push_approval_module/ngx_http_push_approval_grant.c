
/*
 * Issued approvals (grants) in the zone: one per approved challenge,
 * checked on the cookie path until its cookies expire, revoked by the
 * console or read back as revoked from the journal at start.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_grant.h"
#include "ngx_http_push_approval_challenge.h"
#include "ngx_http_push_approval_zone.h"


#define NGX_HTTP_PUSH_APPROVAL_GRANT_OFF                                      \
    offsetof(ngx_http_push_approval_grant_t, id)


static ngx_http_push_approval_grant_t *ngx_http_push_approval_find_grant(
    ngx_http_push_approval_shctx_t *sh, u_char *id);


void
ngx_http_push_approval_grant_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_http_push_approval_insert(temp, node, sentinel,
                                  NGX_HTTP_PUSH_APPROVAL_GRANT_OFF);
}


static ngx_http_push_approval_grant_t *
ngx_http_push_approval_find_grant(ngx_http_push_approval_shctx_t *sh,
    u_char *id)
{
    return (ngx_http_push_approval_grant_t *)
               ngx_http_push_approval_lookup(&sh->grants, id,
                                             NGX_HTTP_PUSH_APPROVAL_GRANT_OFF);
}


ngx_int_t
ngx_http_push_approval_add_grant(ngx_http_push_approval_zone_t *zone,
    ngx_http_push_approval_node_t *node, ngx_str_t *approver)
{
    size_t                           n;
    ngx_http_push_approval_grant_t  *g;

    n = ngx_min(approver->len, NGX_HTTP_PUSH_APPROVAL_USER_MAX);

    g = ngx_slab_alloc_locked(zone->shpool,
                              offsetof(ngx_http_push_approval_grant_t,
                                       approver) + n);
    if (g == NULL) {
        ngx_http_push_approval_expire_locked(zone, 16);
        g = ngx_slab_alloc_locked(zone->shpool,
                                  offsetof(ngx_http_push_approval_grant_t,
                                           approver) + n);
        if (g == NULL) {
            return NGX_ERROR;
        }
    }

    ngx_memcpy(g->id, node->id, NGX_HTTP_PUSH_APPROVAL_ID_BYTES);
    g->expires = ngx_time() + node->ttl;
    g->revoked = 0;
    g->approver_len = (u_char) n;

    if (n) {
        ngx_memcpy(g->approver, approver->data, n);
    }

    g->node.key = ngx_http_push_approval_key(g->id);
    ngx_rbtree_insert(&zone->sh->grants, &g->node);
    ngx_queue_insert_head(&zone->sh->grant_queue, &g->queue);

    return NGX_OK;
}


/* the cookie path: one lookup, nothing written */

ngx_int_t
ngx_http_push_approval_grant_lookup(ngx_http_push_approval_zone_t *zone,
    u_char *id, ngx_uint_t *revoked, ngx_str_t *approver, ngx_pool_t *pool)
{
    ngx_http_push_approval_grant_t  *g;

    ngx_shmtx_lock(&zone->shpool->mutex);

    g = ngx_http_push_approval_find_grant(zone->sh, id);

    if (g == NULL) {

        /* revocations were lost at start: an unknown grant may be one */

        if (zone->sh->distrust > ngx_time()) {
            ngx_shmtx_unlock(&zone->shpool->mutex);
            *revoked = 1;
            return NGX_OK;
        }

        ngx_shmtx_unlock(&zone->shpool->mutex);
        return NGX_DECLINED;
    }

    *revoked = g->revoked;

    if (approver) {
        approver->len = g->approver_len;
        approver->data = ngx_pnalloc(pool, g->approver_len);
        if (approver->data == NULL) {
            approver->len = 0;

        } else {
            ngx_memcpy(approver->data, g->approver, g->approver_len);
        }
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return NGX_OK;
}


ngx_int_t
ngx_http_push_approval_grant_revoke(ngx_http_push_approval_zone_t *zone,
    u_char *id)
{
    ngx_http_push_approval_grant_t  *g;

    ngx_shmtx_lock(&zone->shpool->mutex);

    g = ngx_http_push_approval_find_grant(zone->sh, id);
    if (g) {
        g->revoked = 1;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return g ? NGX_OK : NGX_DECLINED;
}


/*
 * A revocation read back from the journal at start (recover.c): the grant
 * is marked revoked, or made as a revoked one that lives until "expires".
 * Such grants have a queue of their own, ordered by expiry, latest first,
 * so that their longer lives hold up no grant of the grant queue.  They
 * may fill half of the zone: NGX_DECLINED past that.
 */

ngx_int_t
ngx_http_push_approval_grant_recover(ngx_http_push_approval_zone_t *zone,
    u_char *id, time_t expires)
{
    ngx_uint_t                       pages;
    ngx_queue_t                     *q;
    ngx_http_push_approval_grant_t  *g, *n;

    ngx_shmtx_lock(&zone->shpool->mutex);

    g = ngx_http_push_approval_find_grant(zone->sh, id);
    if (g) {
        g->revoked = 1;
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return NGX_OK;
    }

    /* half of the zone stays for the challenges and grants to come */

    pages = (ngx_uint_t) (zone->shpool->end - zone->shpool->start)
            / ngx_pagesize;

    g = (zone->shpool->pfree >= pages / 2)
        ? ngx_slab_alloc_locked(zone->shpool,
                                offsetof(ngx_http_push_approval_grant_t,
                                         approver))
        : NULL;

    if (g == NULL) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return NGX_DECLINED;
    }

    ngx_memcpy(g->id, id, NGX_HTTP_PUSH_APPROVAL_ID_BYTES);
    g->expires = expires;
    g->revoked = 1;
    g->approver_len = 0;

    g->node.key = ngx_http_push_approval_key(g->id);
    ngx_rbtree_insert(&zone->sh->grants, &g->node);

    for (q = ngx_queue_head(&zone->sh->recovered_queue);
         q != ngx_queue_sentinel(&zone->sh->recovered_queue);
         q = ngx_queue_next(q))
    {
        n = ngx_queue_data(q, ngx_http_push_approval_grant_t, queue);

        if (n->expires <= expires) {
            break;
        }
    }

    /* before q, or last */
    ngx_queue_insert_tail(q, &g->queue);

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return NGX_OK;
}


/* revocations were lost: cookies without a grant are refused until then */

void
ngx_http_push_approval_grant_distrust(ngx_http_push_approval_zone_t *zone,
    time_t until)
{
    ngx_shmtx_lock(&zone->shpool->mutex);

    if (zone->sh->distrust < until) {
        zone->sh->distrust = until;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);
}
