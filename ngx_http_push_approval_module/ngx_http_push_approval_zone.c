
/*
 * The shared zone: the node's truth about challenges, issued approvals
 * (grants) and the workers that can be woken.  Every function takes the
 * zone's mutex for a bounded amount of work and never does I/O under it.
 */


#include "ngx_http_push_approval_module.h"


#define ngx_http_push_approval_join_node(n)                                   \
    ((ngx_http_push_approval_node_t *)                                        \
     ((u_char *) (n) - offsetof(ngx_http_push_approval_node_t, join)))


static ngx_http_push_approval_node_t *
    ngx_http_push_approval_join_find_locked(
    ngx_http_push_approval_zone_t *zone,
    ngx_http_push_approval_challenge_t *ch);
static void ngx_http_push_approval_rbtree_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static void ngx_http_push_approval_join_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static void ngx_http_push_approval_grant_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static ngx_http_push_approval_node_t *ngx_http_push_approval_find(
    ngx_http_push_approval_shctx_t *sh, u_char *id);
static ngx_http_push_approval_grant_t *ngx_http_push_approval_find_grant(
    ngx_http_push_approval_shctx_t *sh, u_char *id);
static ngx_http_push_approval_node_t *ngx_http_push_approval_find_live(
    ngx_http_push_approval_zone_t *zone, u_char *id);
static ngx_uint_t ngx_http_push_approval_close_user(
    ngx_http_push_approval_zone_t *zone, u_char *who,
    u_char (*ids)[NGX_HTTP_PUSH_APPROVAL_ID_BYTES]);
static void ngx_http_push_approval_node_event(
    ngx_http_push_approval_node_t *node, const char *name,
    const char *reason);
static void ngx_http_push_approval_settle(ngx_http_push_approval_zone_t *zone,
    ngx_http_push_approval_node_t *node, ngx_uint_t state);
static ngx_int_t ngx_http_push_approval_copy(
    ngx_http_push_approval_node_t *node,
    ngx_http_push_approval_challenge_t *ch, ngx_pool_t *pool);
static void ngx_http_push_approval_expire_grants(
    ngx_http_push_approval_zone_t *zone, ngx_queue_t *queue, ngx_uint_t n,
    ngx_uint_t sorted);
static void ngx_http_push_approval_requeue(ngx_queue_t *queue,
    ngx_queue_t *q);
static ngx_int_t ngx_http_push_approval_newer(const void *a, const void *b);


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

/* challenges a lockout closes that are woken at once; the poll gets more */
#define NGX_HTTP_PUSH_APPROVAL_CLOSE_MAX  16


#define NGX_HTTP_PUSH_APPROVAL_ID_OFF                                         \
    offsetof(ngx_http_push_approval_node_t, id)
#define NGX_HTTP_PUSH_APPROVAL_JOIN_OFF                                       \
    ((ptrdiff_t) offsetof(ngx_http_push_approval_node_t, join_key)            \
     - (ptrdiff_t) offsetof(ngx_http_push_approval_node_t, join))
#define NGX_HTTP_PUSH_APPROVAL_GRANT_OFF                                      \
    offsetof(ngx_http_push_approval_grant_t, id)


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


static void
ngx_http_push_approval_rbtree_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_http_push_approval_insert(temp, node, sentinel,
                                  NGX_HTTP_PUSH_APPROVAL_ID_OFF);
}


static void
ngx_http_push_approval_join_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_http_push_approval_insert(temp, node, sentinel,
                                  NGX_HTTP_PUSH_APPROVAL_JOIN_OFF);
}


static void
ngx_http_push_approval_grant_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_http_push_approval_insert(temp, node, sentinel,
                                  NGX_HTTP_PUSH_APPROVAL_GRANT_OFF);
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


static ngx_http_push_approval_node_t *
ngx_http_push_approval_find(ngx_http_push_approval_shctx_t *sh, u_char *id)
{
    return (ngx_http_push_approval_node_t *)
               ngx_http_push_approval_lookup(&sh->challenges, id,
                                             NGX_HTTP_PUSH_APPROVAL_ID_OFF);
}


static ngx_http_push_approval_grant_t *
ngx_http_push_approval_find_grant(ngx_http_push_approval_shctx_t *sh,
    u_char *id)
{
    return (ngx_http_push_approval_grant_t *)
               ngx_http_push_approval_lookup(&sh->grants, id,
                                             NGX_HTTP_PUSH_APPROVAL_GRANT_OFF);
}


/* a challenge, timed out on the way if its wait is over; mutex held */

static ngx_http_push_approval_node_t *
ngx_http_push_approval_find_live(ngx_http_push_approval_zone_t *zone,
    u_char *id)
{
    ngx_http_push_approval_node_t  *node;

    node = ngx_http_push_approval_find(zone->sh, id);

    if (node && node->state <= NGX_HTTP_PUSH_APPROVAL_PENDING
        && node->expires <= ngx_time())
    {
        ngx_http_push_approval_settle(zone, node,
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
ngx_http_push_approval_zone_create(ngx_http_push_approval_zone_t *zone,
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
ngx_http_push_approval_zone_join(ngx_http_push_approval_zone_t *zone,
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
ngx_http_push_approval_zone_lookup(ngx_http_push_approval_zone_t *zone,
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


/* move a challenge to a final state; mutex held */

static void
ngx_http_push_approval_settle(ngx_http_push_approval_zone_t *zone,
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
        ngx_http_push_approval_node_event(node, "expired", NULL);
    }
}


/*
 * An event about a challenge the zone itself ended (its wait is over, or
 * a lockout closed it): written by whichever worker saw it first.  The
 * mutex is held, so the journal only buffers it.
 */

static void
ngx_http_push_approval_node_event(ngx_http_push_approval_node_t *node,
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


ngx_int_t
ngx_http_push_approval_zone_state(ngx_http_push_approval_zone_t *zone,
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


ngx_int_t
ngx_http_push_approval_zone_notified(ngx_http_push_approval_zone_t *zone,
    u_char *id, ngx_uint_t ok)
{
    ngx_int_t                       rc;
    ngx_http_push_approval_node_t  *node;

    rc = NGX_DECLINED;

    ngx_shmtx_lock(&zone->shpool->mutex);

    node = ngx_http_push_approval_find(zone->sh, id);

    if (node && node->state == NGX_HTTP_PUSH_APPROVAL_NOTIFYING) {
        if (ok) {
            node->state = NGX_HTTP_PUSH_APPROVAL_PENDING;

        } else {
            ngx_http_push_approval_settle(zone, node,
                                          NGX_HTTP_PUSH_APPROVAL_PUSH_FAILED);
            zone->sh->decisions++;
        }

        rc = NGX_OK;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return rc;
}


static ngx_int_t
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


static u_char *
ngx_http_push_approval_decided_by(ngx_http_push_approval_node_t *node)
{
    return node->data + node->user_len + node->approver_len
           + node->unlocks_len + node->server_len + node->scope_len
           + node->client_len + node->agent_len + node->method_len
           + node->uri_len + node->cookie_len;
}


/*
 * An approver's decision.  *result is the requester-visible status
 * (ST_*): approved, denied, reported, code_mismatch (token stays usable,
 * rc NGX_AGAIN), gone, not_found or unavailable.
 */

ngx_int_t
ngx_http_push_approval_zone_decide(ngx_http_push_approval_zone_t *zone,
    u_char *id, ngx_uint_t decision, ngx_str_t *code,
    ngx_http_push_approval_keyring_t *ring, ngx_str_t *approver,
    ngx_uint_t *result)
{
    u_char                          mac[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char                          closed[NGX_HTTP_PUSH_APPROVAL_CLOSE_MAX]
                                          [NGX_HTTP_PUSH_APPROVAL_ID_BYTES];
    ngx_uint_t                      i, ok, nclosed;
    ngx_http_push_approval_node_t  *node;

    ngx_shmtx_lock(&zone->shpool->mutex);

    node = ngx_http_push_approval_find_live(zone, id);

    if (node == NULL) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        *result = NGX_HTTP_PUSH_APPROVAL_ST_NOT_FOUND;
        return NGX_DECLINED;
    }

    /* a fast approver may answer before the notify status is in */

    if (node->state > NGX_HTTP_PUSH_APPROVAL_PENDING) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        *result = NGX_HTTP_PUSH_APPROVAL_ST_GONE;
        return NGX_DECLINED;
    }

    if (decision == NGX_HTTP_PUSH_APPROVAL_APPROVED && node->code_required) {

        ok = 0;

        if (code && code->len > 0 && code->len <= 8) {
            for (i = 0; i < ring->nkeys; i++) {
                ngx_http_push_approval_code_mac(&ring->keys[i], node->id,
                                                code, mac);
                ok |= ngx_http_push_approval_mac_equal(mac, node->code_mac,
                                                       sizeof(mac));
            }
        }

        if (!ok) {
            *result = NGX_HTTP_PUSH_APPROVAL_ST_CODE_MISMATCH;

            if (++node->wrong_codes < NGX_HTTP_PUSH_APPROVAL_MAX_CODE_TRIES) {
                ngx_shmtx_unlock(&zone->shpool->mutex);
                return NGX_AGAIN;
            }

            decision = NGX_HTTP_PUSH_APPROVAL_CODE_MISMATCH;
        }
    }

    if (decision == NGX_HTTP_PUSH_APPROVAL_APPROVED
        && ngx_http_push_approval_add_grant(zone, node, approver) != NGX_OK)
    {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        *result = NGX_HTTP_PUSH_APPROVAL_ST_UNAVAILABLE;
        return NGX_ERROR;
    }

    node->decided_by_len = (u_char) ngx_min(approver->len,
                                            NGX_HTTP_PUSH_APPROVAL_USER_MAX);
    if (node->decided_by_len) {
        ngx_memcpy(ngx_http_push_approval_decided_by(node), approver->data,
                   node->decided_by_len);
    }

    ngx_http_push_approval_settle(zone, node, decision);
    zone->sh->decisions++;

    nclosed = 0;

    if (decision != NGX_HTTP_PUSH_APPROVAL_APPROVED
        && ngx_http_push_approval_limit_failure_locked(zone, node->who,
               decision == NGX_HTTP_PUSH_APPROVAL_REPORTED,
               node->lockout_n, node->lockout_period)
           > ngx_time())
    {
        nclosed = ngx_http_push_approval_close_user(zone, node->who, closed);
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    /* the requests of the challenges a lockout closed end too */

    for (i = 0; i < nclosed; i++) {
        ngx_http_push_approval_wake_broadcast(zone, closed[i]);
    }

    switch (decision) {
    case NGX_HTTP_PUSH_APPROVAL_APPROVED:
        *result = NGX_HTTP_PUSH_APPROVAL_ST_APPROVED;
        break;
    case NGX_HTTP_PUSH_APPROVAL_DENIED:
        *result = NGX_HTTP_PUSH_APPROVAL_ST_DENIED;
        break;
    case NGX_HTTP_PUSH_APPROVAL_REPORTED:
        *result = NGX_HTTP_PUSH_APPROVAL_ST_REPORTED;
        break;
    default:
        *result = NGX_HTTP_PUSH_APPROVAL_ST_CODE_MISMATCH;
    }

    return NGX_OK;
}


/*
 * A report or a lockout stops all of the user's prompts: their other open
 * challenges are denied too.  Mutex held; returns the ids to wake.
 */

static ngx_uint_t
ngx_http_push_approval_close_user(ngx_http_push_approval_zone_t *zone,
    u_char *who, u_char (*ids)[NGX_HTTP_PUSH_APPROVAL_ID_BYTES])
{
    ngx_uint_t                      n;
    ngx_queue_t                    *q;
    ngx_http_push_approval_node_t  *node;

    n = 0;

    for (q = ngx_queue_head(&zone->sh->challenge_queue);
         q != ngx_queue_sentinel(&zone->sh->challenge_queue);
         q = ngx_queue_next(q))
    {
        node = ngx_queue_data(q, ngx_http_push_approval_node_t, queue);

        if (node->state > NGX_HTTP_PUSH_APPROVAL_PENDING
            || ngx_memcmp(node->who, who, NGX_HTTP_PUSH_APPROVAL_HASH_BYTES)
               != 0)
        {
            continue;
        }

        ngx_http_push_approval_settle(zone, node,
                                      NGX_HTTP_PUSH_APPROVAL_DENIED);
        zone->sh->decisions++;

        ngx_http_push_approval_node_event(node, "denied", "user_locked_out");

        if (n < NGX_HTTP_PUSH_APPROVAL_CLOSE_MAX) {
            ngx_memcpy(ids[n++], node->id, NGX_HTTP_PUSH_APPROVAL_ID_BYTES);
        }
    }

    return n;
}


/* the pending secret is good for one approval cookie */

ngx_int_t
ngx_http_push_approval_zone_redeem(ngx_http_push_approval_zone_t *zone,
    u_char *id)
{
    ngx_int_t                       rc;
    ngx_http_push_approval_node_t  *node;

    rc = NGX_DECLINED;

    ngx_shmtx_lock(&zone->shpool->mutex);

    node = ngx_http_push_approval_find(zone->sh, id);

    if (node && node->state == NGX_HTTP_PUSH_APPROVAL_APPROVED
        && !node->redeemed)
    {
        node->redeemed = 1;
        rc = NGX_OK;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return rc;
}


/* the cookie path: one lookup, nothing written */

ngx_int_t
ngx_http_push_approval_zone_grant(ngx_http_push_approval_zone_t *zone,
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
ngx_http_push_approval_zone_revoke(ngx_http_push_approval_zone_t *zone,
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
ngx_http_push_approval_zone_recover(ngx_http_push_approval_zone_t *zone,
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
ngx_http_push_approval_zone_distrust(ngx_http_push_approval_zone_t *zone,
    time_t until)
{
    ngx_shmtx_lock(&zone->shpool->mutex);

    if (zone->sh->distrust < until) {
        zone->sh->distrust = until;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


/* pending challenges for a console identity, newest first */

ngx_int_t
ngx_http_push_approval_zone_pending_for(ngx_http_push_approval_zone_t *zone,
    ngx_str_t *approver, ngx_pool_t *pool, ngx_array_t *out)
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
            || node->approver_len != approver->len
            || ngx_memcmp(node->data + node->user_len, approver->data,
                          approver->len) != 0)
        {
            continue;
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
            ngx_http_push_approval_settle(zone, node,
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
ngx_http_push_approval_zone_register(ngx_http_push_approval_zone_t *zone,
    ngx_pid_t pid, ngx_uint_t on)
{
    ngx_uint_t  i, free;

    free = NGX_HTTP_PUSH_APPROVAL_MAX_WORKERS;

    ngx_shmtx_lock(&zone->shpool->mutex);

    for (i = 0; i < NGX_HTTP_PUSH_APPROVAL_MAX_WORKERS; i++) {

        if (zone->sh->workers[i] == pid) {
            if (!on) {
                zone->sh->workers[i] = 0;
            }

            ngx_shmtx_unlock(&zone->shpool->mutex);
            return;
        }

        if (zone->sh->workers[i] == 0
            && free == NGX_HTTP_PUSH_APPROVAL_MAX_WORKERS)
        {
            free = i;
        }
    }

    if (on && free < NGX_HTTP_PUSH_APPROVAL_MAX_WORKERS) {
        zone->sh->workers[free] = pid;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


/* copies the registered pids; mutex taken briefly */

ngx_uint_t
ngx_http_push_approval_zone_workers(ngx_http_push_approval_zone_t *zone,
    ngx_pid_t *pids)
{
    ngx_uint_t  i, n;

    n = 0;

    ngx_shmtx_lock(&zone->shpool->mutex);

    for (i = 0; i < NGX_HTTP_PUSH_APPROVAL_MAX_WORKERS; i++) {
        if (zone->sh->workers[i]) {
            pids[n++] = zone->sh->workers[i];
        }
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return n;
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
