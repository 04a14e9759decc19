
/*
 * Challenges in the zone: made or joined, looked up, copied out into
 * request memory, redeemed once, listed for the console.  How they end
 * is in decide.c.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_challenge.h"
#include "ngx_http_push_approval_event.h"
#include "ngx_http_push_approval_journal.h"
#include "ngx_http_push_approval_limit.h"
#include "ngx_http_push_approval_parse.h"
#include "ngx_http_push_approval_zone.h"


#define NGX_HTTP_PUSH_APPROVAL_CONSOLE_MAX   100    /* challenges listed */


#define ngx_http_push_approval_join_node(n)                                   \
    ((ngx_http_push_approval_node_t *)                                        \
     ((u_char *) (n) - offsetof(ngx_http_push_approval_node_t, join)))

#define NGX_HTTP_PUSH_APPROVAL_ID_OFF                                         \
    offsetof(ngx_http_push_approval_node_t, id)
#define NGX_HTTP_PUSH_APPROVAL_JOIN_OFF                                       \
    ((ptrdiff_t) offsetof(ngx_http_push_approval_node_t, join_key)            \
     - (ptrdiff_t) offsetof(ngx_http_push_approval_node_t, join))


static ngx_http_push_approval_node_t *
    ngx_http_push_approval_join_find_locked(
    ngx_http_push_approval_zone_t *zone,
    ngx_http_push_approval_challenge_t *ch);
static ngx_int_t ngx_http_push_approval_copy(
    ngx_http_push_approval_node_t *node,
    ngx_http_push_approval_challenge_t *ch, ngx_pool_t *pool);
static ngx_int_t ngx_http_push_approval_newer(const void *a, const void *b);


void
ngx_http_push_approval_rbtree_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_http_push_approval_insert(temp, node, sentinel,
                                  NGX_HTTP_PUSH_APPROVAL_ID_OFF);
}


void
ngx_http_push_approval_join_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_http_push_approval_insert(temp, node, sentinel,
                                  NGX_HTTP_PUSH_APPROVAL_JOIN_OFF);
}


ngx_http_push_approval_node_t *
ngx_http_push_approval_find(ngx_http_push_approval_shctx_t *sh, u_char *id)
{
    return (ngx_http_push_approval_node_t *)
               ngx_http_push_approval_lookup(&sh->challenges, id,
                                             NGX_HTTP_PUSH_APPROVAL_ID_OFF);
}


/* a challenge, timed out on the way if its wait is over; mutex held */

ngx_http_push_approval_node_t *
ngx_http_push_approval_find_live(ngx_http_push_approval_zone_t *zone,
    u_char *id)
{
    ngx_http_push_approval_node_t  *node;

    node = ngx_http_push_approval_find(zone->sh, id);

    if (node && node->state <= NGX_HTTP_PUSH_APPROVAL_PENDING
        && node->expires <= ngx_time())
    {
        ngx_http_push_approval_challenge_settle(zone, node,
                                      NGX_HTTP_PUSH_APPROVAL_TIMEOUT);
    }

    return node;
}


static u_char *
ngx_http_push_approval_put(u_char *p, u_char *len, ngx_str_t *s, size_t max)
{
    size_t  n;

    n = ngx_min(s->len, max);
    *len = (u_char) n;

    /* an empty value may have no data at all (no User-Agent) */
    return n ? ngx_cpymem(p, s->data, n) : p;
}


/*
 * NGX_BUSY: another worker created a joinable challenge for the same
 * request since this one looked; ch is now that challenge, joined (the
 * prompt this request counted stays counted: limits err on the strict
 * side).
 */

ngx_int_t
ngx_http_push_approval_challenge_create(ngx_http_push_approval_zone_t *zone,
    ngx_http_push_approval_challenge_t *ch, ngx_pool_t *pool)
{
    u_char                          *p;
    size_t                           size;
    ngx_int_t                        rc;
    ngx_http_push_approval_node_t   *node;
    ngx_http_push_approval_shctx_t  *sh;

    size = offsetof(ngx_http_push_approval_node_t, data)
           + ch->user.len + ch->approver.len + ch->unlocks.len
           + ch->server.len + ch->scope.len + ch->client.len + ch->agent.len
           + ch->method.len + ch->uri.len + ch->cookie.len
           + NGX_HTTP_PUSH_APPROVAL_USER_MAX;

    sh = zone->sh;

    ngx_shmtx_lock(&zone->shpool->mutex);

    if (ch->joinable) {
        node = ngx_http_push_approval_join_find_locked(zone, ch);

        if (node) {
            rc = ngx_http_push_approval_copy(node, ch, pool);
            ngx_shmtx_unlock(&zone->shpool->mutex);
            return rc == NGX_OK ? NGX_BUSY : rc;
        }
    }

    ngx_http_push_approval_expire_locked(zone, 2);

    node = ngx_slab_alloc_locked(zone->shpool, size);
    if (node == NULL) {
        ngx_http_push_approval_expire_locked(zone, 16);
        ngx_http_push_approval_limit_reclaim_locked(zone, 4);
        node = ngx_slab_alloc_locked(zone->shpool, size);
    }

    if (node == NULL) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return NGX_DECLINED;
    }

    ngx_memzero(node, offsetof(ngx_http_push_approval_node_t, data));

    ngx_memcpy(node->id, ch->id, NGX_HTTP_PUSH_APPROVAL_ID_BYTES);
    ngx_memcpy(node->join_key, ch->join_key, NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);
    ngx_memcpy(node->code_mac, ch->code_mac, NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);
    ngx_memcpy(node->user_hash, ch->user_hash,
               NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);
    ngx_memcpy(node->ip_hash, ch->ip_hash, NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);
    ngx_memcpy(node->agent_hash, ch->agent_hash,
               NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);
    ngx_memcpy(node->who, ch->who, NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);
    node->lockout_n = (uint8_t) ch->lockout_n;
    node->lockout_period = (uint32_t) ch->lockout_period;

    node->created = ch->created;
    node->expires = ch->expires;
    node->purge = ch->expires + (ch->expires - ch->created);
    node->ttl = ch->ttl;
    node->methods = ch->methods;
    node->state = NGX_HTTP_PUSH_APPROVAL_NOTIFYING;
    node->answer = (uint8_t) ch->answer;
    node->code_required = ch->code_required;
    node->joinable = ch->joinable;
    node->separate = ch->separate;
    node->bind = ch->bind;
    node->cookie_flags = (uint8_t) ch->cookie_flags;

    p = node->data;
    p = ngx_http_push_approval_put(p, &node->user_len, &ch->user, 255);
    p = ngx_http_push_approval_put(p, &node->approver_len, &ch->approver, 255);
    p = ngx_http_push_approval_put(p, &node->unlocks_len, &ch->unlocks, 255);
    p = ngx_http_push_approval_put(p, &node->server_len, &ch->server, 255);
    p = ngx_http_push_approval_put(p, &node->scope_len, &ch->scope, 255);
    p = ngx_http_push_approval_put(p, &node->client_len, &ch->client, 255);
    p = ngx_http_push_approval_put(p, &node->agent_len, &ch->agent, 255);
    p = ngx_http_push_approval_put(p, &node->method_len, &ch->method, 255);
    p = ngx_http_push_approval_put(p, &node->uri_len, &ch->uri, 255);
    (void) ngx_http_push_approval_put(p, &node->cookie_len, &ch->cookie, 255);

    node->node.key = ngx_http_push_approval_key(node->id);
    ngx_rbtree_insert(&sh->challenges, &node->node);

    if (node->joinable) {
        node->join.key = ngx_http_push_approval_key(node->join_key);
        ngx_rbtree_insert(&sh->joins, &node->join);
        node->joined = 1;
    }

    ngx_queue_insert_head(&sh->challenge_queue, &node->queue);

    sh->created++;

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return NGX_OK;
}


/* a pending joinable challenge with the same join key, if any */

ngx_int_t
ngx_http_push_approval_challenge_join(ngx_http_push_approval_zone_t *zone,
    ngx_http_push_approval_challenge_t *ch, ngx_pool_t *pool)
{
    ngx_int_t                       rc;
    ngx_http_push_approval_node_t  *n;

    ngx_shmtx_lock(&zone->shpool->mutex);

    n = ngx_http_push_approval_join_find_locked(zone, ch);
    rc = n ? ngx_http_push_approval_copy(n, ch, pool) : NGX_DECLINED;

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return rc;
}


/* stale entries (decided, expired) leave the join tree as met */

static ngx_http_push_approval_node_t *
ngx_http_push_approval_join_find_locked(ngx_http_push_approval_zone_t *zone,
    ngx_http_push_approval_challenge_t *ch)
{
    time_t                          now;
    ngx_uint_t                      i;
    ngx_rbtree_node_t              *node;
    ngx_http_push_approval_node_t  *n;

    now = ngx_time();

    for (i = 0; i < 8; i++) {
        node = ngx_http_push_approval_lookup(&zone->sh->joins, ch->join_key,
                                             NGX_HTTP_PUSH_APPROVAL_JOIN_OFF);
        if (node == NULL) {
            return NULL;
        }

        n = ngx_http_push_approval_join_node(node);

        if (n->state <= NGX_HTTP_PUSH_APPROVAL_PENDING && n->expires > now) {
            return n;
        }

        ngx_rbtree_delete(&zone->sh->joins, &n->join);
        n->joined = 0;
    }

    return NULL;
}


ngx_int_t
ngx_http_push_approval_challenge_lookup(ngx_http_push_approval_zone_t *zone,
    u_char *id, ngx_http_push_approval_challenge_t *ch, ngx_pool_t *pool)
{
    ngx_int_t                       rc;
    ngx_http_push_approval_node_t  *node;

    ngx_shmtx_lock(&zone->shpool->mutex);

    node = ngx_http_push_approval_find_live(zone, id);

    if (node == NULL) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return NGX_DECLINED;
    }

    rc = ngx_http_push_approval_copy(node, ch, pool);

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return rc;
}


static ngx_int_t
ngx_http_push_approval_copy_str(ngx_pool_t *pool, u_char **p, size_t len,
    ngx_str_t *s)
{
    s->len = len;
    s->data = ngx_pnalloc(pool, len + 1);
    if (s->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(s->data, *p, len);
    s->data[len] = '\0';
    *p += len;

    return NGX_OK;
}


/* called with the mutex held; copies into request memory */

static ngx_int_t
ngx_http_push_approval_copy(ngx_http_push_approval_node_t *node,
    ngx_http_push_approval_challenge_t *ch, ngx_pool_t *pool)
{
    u_char  *p;

    ngx_memcpy(ch->id, node->id, NGX_HTTP_PUSH_APPROVAL_ID_BYTES);
    ngx_memcpy(ch->join_key, node->join_key, NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);
    ngx_memcpy(ch->code_mac, node->code_mac, NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);
    ngx_memcpy(ch->user_hash, node->user_hash,
               NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);
    ngx_memcpy(ch->ip_hash, node->ip_hash, NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);
    ngx_memcpy(ch->agent_hash, node->agent_hash,
               NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);
    ngx_memcpy(ch->who, node->who, NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);
    ch->lockout_n = node->lockout_n;
    ch->lockout_period = node->lockout_period;

    ch->created = node->created;
    ch->expires = node->expires;
    ch->decided = node->decided;
    ch->ttl = node->ttl;
    ch->methods = node->methods;
    ch->state = node->state;
    ch->answer = node->answer;
    ch->code_required = node->code_required;
    ch->joinable = node->joinable;
    ch->redeemed = node->redeemed;
    ch->separate = node->separate;
    ch->bind = node->bind;
    ch->cookie_flags = node->cookie_flags;

    p = node->data;

    if (ngx_http_push_approval_copy_str(pool, &p, node->user_len, &ch->user)
        != NGX_OK
        || ngx_http_push_approval_copy_str(pool, &p, node->approver_len,
                                           &ch->approver) != NGX_OK
        || ngx_http_push_approval_copy_str(pool, &p, node->unlocks_len,
                                           &ch->unlocks) != NGX_OK
        || ngx_http_push_approval_copy_str(pool, &p, node->server_len,
                                           &ch->server) != NGX_OK
        || ngx_http_push_approval_copy_str(pool, &p, node->scope_len,
                                           &ch->scope) != NGX_OK
        || ngx_http_push_approval_copy_str(pool, &p, node->client_len,
                                           &ch->client) != NGX_OK
        || ngx_http_push_approval_copy_str(pool, &p, node->agent_len,
                                           &ch->agent) != NGX_OK
        || ngx_http_push_approval_copy_str(pool, &p, node->method_len,
                                           &ch->method) != NGX_OK
        || ngx_http_push_approval_copy_str(pool, &p, node->uri_len,
                                           &ch->uri) != NGX_OK
        || ngx_http_push_approval_copy_str(pool, &p, node->cookie_len,
                                           &ch->cookie) != NGX_OK
        || ngx_http_push_approval_copy_str(pool, &p, node->decided_by_len,
                                           &ch->decided_by) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ch->id_text.data = ngx_pnalloc(pool, NGX_HTTP_PUSH_APPROVAL_ID_LEN + 2);
    if (ch->id_text.data == NULL) {
        return NGX_ERROR;
    }

    {
        ngx_str_t  src;

        src.data = ch->id;
        src.len = NGX_HTTP_PUSH_APPROVAL_ID_BYTES;
        ngx_http_push_approval_b64url_encode(&ch->id_text, &src);
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_push_approval_challenge_state(ngx_http_push_approval_zone_t *zone,
    u_char *id, ngx_uint_t *state)
{
    ngx_http_push_approval_node_t  *node;

    ngx_shmtx_lock(&zone->shpool->mutex);

    node = ngx_http_push_approval_find_live(zone, id);

    if (node == NULL) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return NGX_DECLINED;
    }

    *state = node->state;

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return NGX_OK;
}


/* the pending secret is good for one approval cookie */

ngx_int_t
ngx_http_push_approval_challenge_redeem(ngx_http_push_approval_zone_t *zone,
    u_char *id, ngx_uint_t redeem)
{
    ngx_int_t                       rc;
    ngx_http_push_approval_node_t  *node;

    rc = NGX_DECLINED;

    ngx_shmtx_lock(&zone->shpool->mutex);

    node = ngx_http_push_approval_find(zone->sh, id);

    /* redeem 0 gives back a redemption whose cookie could not be set */

    if (node && node->state == NGX_HTTP_PUSH_APPROVAL_APPROVED
        && node->redeemed != redeem)
    {
        node->redeemed = redeem ? 1 : 0;
        rc = NGX_OK;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return rc;
}


/*
 * Pending challenges a console identity may decide, newest first.  Never
 * one that needs a code (its secrecy rests on the approve link reaching
 * only the approver's device), nor one whose requester is the identity (a
 * self-approval, or the requester approving from the console).
 */

ngx_int_t
ngx_http_push_approval_challenge_pending_for(
    ngx_http_push_approval_zone_t *zone, ngx_str_t *approver, ngx_pool_t *pool,
    ngx_array_t *out)
{
    time_t                               now;
    ngx_queue_t                         *q;
    ngx_http_push_approval_node_t       *node;
    ngx_http_push_approval_challenge_t  *ch;

    now = ngx_time();

    ngx_shmtx_lock(&zone->shpool->mutex);

    for (q = ngx_queue_head(&zone->sh->challenge_queue);
         q != ngx_queue_sentinel(&zone->sh->challenge_queue);
         q = ngx_queue_next(q))
    {
        node = ngx_queue_data(q, ngx_http_push_approval_node_t, queue);

        if (node->state != NGX_HTTP_PUSH_APPROVAL_PENDING
            || node->expires <= now
            || node->code_required
            || node->approver_len != approver->len
            || ngx_memcmp(node->data + node->user_len, approver->data,
                          approver->len) != 0
            || (node->user_len == approver->len
                && ngx_memcmp(node->data, approver->data, approver->len)
                   == 0))
        {
            continue;
        }

        if (out->nelts >= NGX_HTTP_PUSH_APPROVAL_CONSOLE_MAX) {
            break;      /* the zone's lock is held: a bounded copy */
        }

        ch = ngx_array_push(out);
        if (ch == NULL
            || (ngx_memzero(ch, sizeof(*ch)),
                ngx_http_push_approval_copy(node, ch, pool)) != NGX_OK)
        {
            ngx_shmtx_unlock(&zone->shpool->mutex);
            return NGX_ERROR;
        }
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    /* the queue is newest first but for requeued entries: a stable sort */

    ngx_sort(out->elts, out->nelts, sizeof(ngx_http_push_approval_challenge_t),
             ngx_http_push_approval_newer);

    return NGX_OK;
}


static ngx_int_t
ngx_http_push_approval_newer(const void *a, const void *b)
{
    const ngx_http_push_approval_challenge_t  *ca = a, *cb = b;

    return ca->created < cb->created;
}


/* which zone holds this challenge: ids are random, so at most one */

ngx_http_push_approval_zone_t *
ngx_http_push_approval_challenge_find_any(ngx_http_request_t *r, u_char *id,
    ngx_http_push_approval_challenge_t *ch)
{
    ngx_uint_t                           i;
    ngx_http_push_approval_zone_t      **zones;
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ngx_http_get_module_main_conf(r, ngx_http_push_approval_module);
    zones = pmcf->zones.elts;

    for (i = 0; i < pmcf->zones.nelts; i++) {
        if (ngx_http_push_approval_challenge_lookup(zones[i], id, ch, r->pool)
            == NGX_OK)
        {
            return zones[i];
        }
    }

    return NULL;
}


/* move a challenge to a final state; mutex held */

void
ngx_http_push_approval_challenge_settle(ngx_http_push_approval_zone_t *zone,
    ngx_http_push_approval_node_t *node, ngx_uint_t state)
{
    node->state = (uint8_t) state;
    node->decided = ngx_time();

    if (node->joined) {
        ngx_rbtree_delete(&zone->sh->joins, &node->join);
        node->joined = 0;
    }

    if (state < sizeof(zone->sh->challenges_total)
                / sizeof(zone->sh->challenges_total[0]))
    {
        zone->sh->challenges_total[state]++;
    }

    if (state == NGX_HTTP_PUSH_APPROVAL_TIMEOUT) {
        ngx_http_push_approval_challenge_event(node, "expired", NULL);
    }
}


/*
 * An event about a challenge the zone itself ended (its wait is over, or
 * a lockout closed it): written by whichever worker saw it first.  The
 * mutex is held, so the journal only buffers it.
 */

void
ngx_http_push_approval_challenge_event(ngx_http_push_approval_node_t *node,
    const char *name, const char *reason)
{
    u_char                          id[NGX_HTTP_PUSH_APPROVAL_ID_LEN + 2];
    ngx_str_t                       src;
    ngx_http_push_approval_event_t  e;

    ngx_memzero(&e, sizeof(ngx_http_push_approval_event_t));

    src.data = node->id;
    src.len = NGX_HTTP_PUSH_APPROVAL_ID_BYTES;
    e.id.data = id;
    ngx_http_push_approval_b64url_encode(&e.id, &src);

    e.user.data = node->data;
    e.user.len = node->user_len;
    e.approver.data = node->data + node->user_len;
    e.approver.len = node->approver_len;

    if (reason) {
        e.reason.data = (u_char *) reason;
        e.reason.len = ngx_strlen(reason);
    }

    ngx_http_push_approval_journal_hold(1);
    ngx_http_push_approval_event(name, &e);
    ngx_http_push_approval_journal_hold(0);
}
