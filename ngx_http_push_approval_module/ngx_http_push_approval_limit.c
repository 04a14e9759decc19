
/*
 * Per-user limits against prompt bombing and fatigue (MITRE ATT&CK T1621,
 * NIST SP 800-63B-4 §3.1.3): at most N challenges in any period, and a
 * lockout after N failed challenges or one report.  A record per user (by
 * keyed hash) lives in the zone; a new challenge never resets a count.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_limit.h"
#include "ngx_http_push_approval_keys.h"
#include "ngx_http_push_approval_zone.h"


/* a user's recent challenges and failures, for limits and lockouts */
typedef struct {
    ngx_rbtree_node_t             node;
    ngx_queue_t                   queue;        /* by last activity */
    u_char                        user_hash[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    time_t                        keep;         /* may go after this */
    time_t                        reported;     /* last report */
    uint32_t                      prompts[NGX_HTTP_PUSH_APPROVAL_PROMPTS_MAX];
    uint32_t                      fails[NGX_HTTP_PUSH_APPROVAL_FAILS_MAX];
    uint8_t                       nprompts;
    uint8_t                       prompt_next;
    uint8_t                       nfails;
    uint8_t                       fail_next;
} ngx_http_push_approval_user_t;


#define NGX_HTTP_PUSH_APPROVAL_USER_OFF                                       \
    offsetof(ngx_http_push_approval_user_t, user_hash)


static ngx_http_push_approval_user_t *ngx_http_push_approval_user_find(
    ngx_http_push_approval_zone_t *zone, u_char *who);
static ngx_http_push_approval_user_t *ngx_http_push_approval_user_get(
    ngx_http_push_approval_zone_t *zone, u_char *who);
static time_t ngx_http_push_approval_locked_until(
    ngx_http_push_approval_user_t *u, ngx_uint_t n, time_t period);


void
ngx_http_push_approval_user_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_http_push_approval_insert(temp, node, sentinel,
                                  NGX_HTTP_PUSH_APPROVAL_USER_OFF);
}


static ngx_http_push_approval_user_t *
ngx_http_push_approval_user_find(ngx_http_push_approval_zone_t *zone,
    u_char *who)
{
    return (ngx_http_push_approval_user_t *)
               ngx_http_push_approval_lookup(&zone->sh->users, who,
                                             NGX_HTTP_PUSH_APPROVAL_USER_OFF);
}


/* the user's record, created if need be; mutex held */

static ngx_http_push_approval_user_t *
ngx_http_push_approval_user_get(ngx_http_push_approval_zone_t *zone,
    u_char *who)
{
    ngx_http_push_approval_user_t  *u;

    u = ngx_http_push_approval_user_find(zone, who);
    if (u) {
        return u;
    }

    u = ngx_slab_calloc_locked(zone->shpool,
                               sizeof(ngx_http_push_approval_user_t));
    if (u == NULL) {
        ngx_http_push_approval_expire_locked(zone, 16);
        ngx_http_push_approval_limit_reclaim_locked(zone, 4);

        u = ngx_slab_calloc_locked(zone->shpool,
                                   sizeof(ngx_http_push_approval_user_t));
        if (u == NULL) {
            return NULL;
        }
    }

    ngx_memcpy(u->user_hash, who, NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);
    u->node.key = ngx_http_push_approval_key(who);
    ngx_rbtree_insert(&zone->sh->users, &u->node);
    ngx_queue_insert_head(&zone->sh->user_queue, &u->queue);

    return u;
}


/*
 * When the user's lockout ends, or 0.  Times are whole seconds, so every
 * comparison leans towards the lock: a failure at second t counts until
 * the end of second t + period.
 */

static time_t
ngx_http_push_approval_locked_until(ngx_http_push_approval_user_t *u,
    ngx_uint_t n, time_t period)
{
    time_t  until, last, first;

    until = 0;

    if (u->reported) {
        until = u->reported + period + 1;
    }

    if (u->nfails >= n) {
        /* the last n failures, all within one period */
        last = u->fails[(u->fail_next + NGX_HTTP_PUSH_APPROVAL_FAILS_MAX - 1)
                        % NGX_HTTP_PUSH_APPROVAL_FAILS_MAX];
        first = u->fails[(u->fail_next + NGX_HTTP_PUSH_APPROVAL_FAILS_MAX - n)
                         % NGX_HTTP_PUSH_APPROVAL_FAILS_MAX];

        if (last - first <= period) {
            until = ngx_max(until, last + period + 1);
        }
    }

    return until;
}


/*
 * Before a challenge is created or joined.  NGX_OK: go on; NGX_DECLINED:
 * *status is LOCKED or LIMITED and *retry the seconds to wait; NGX_ERROR:
 * the zone is full.  A created challenge counts against the limit at once.
 */

ngx_int_t
ngx_http_push_approval_limit(ngx_http_push_approval_zone_t *zone,
    ngx_http_push_approval_loc_conf_t *plcf, u_char *who,
    ngx_uint_t create, ngx_uint_t *status, time_t *retry)
{
    time_t                          now, until, oldest, t;
    ngx_uint_t                      i, n;
    ngx_http_push_approval_user_t  *u;

    now = ngx_time();

    ngx_shmtx_lock(&zone->shpool->mutex);

    u = create ? ngx_http_push_approval_user_get(zone, who)
               : ngx_http_push_approval_user_find(zone, who);

    if (u == NULL) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return create ? NGX_ERROR : NGX_OK;
    }

    until = ngx_http_push_approval_locked_until(u, plcf->lockout_n,
                                                plcf->lockout_period);

    if (until > now) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        *status = NGX_HTTP_PUSH_APPROVAL_ST_LOCKED;

        /* the lock ends within the period; say so, not the rounding */
        *retry = ngx_min(until - now, plcf->lockout_period);
        return NGX_DECLINED;
    }

    if (!create) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return NGX_OK;
    }

    /* challenges in the last period: the ring holds the newest ones */

    n = 0;
    oldest = now;

    for (i = 0; i < u->nprompts; i++) {
        t = u->prompts[i];

        if (t >= now - plcf->prompt_period) {
            n++;
            oldest = ngx_min(oldest, t);
        }
    }

    if (n >= plcf->prompt_n) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        *status = NGX_HTTP_PUSH_APPROVAL_ST_LIMITED;
        *retry = ngx_min(oldest + plcf->prompt_period + 1 - now,
                         plcf->prompt_period);
        return NGX_DECLINED;
    }

    u->prompts[u->prompt_next] = (uint32_t) now;
    u->prompt_next = (u->prompt_next + 1) % NGX_HTTP_PUSH_APPROVAL_PROMPTS_MAX;

    if (u->nprompts < NGX_HTTP_PUSH_APPROVAL_PROMPTS_MAX) {
        u->nprompts++;
    }

    u->keep = now + zone->max_period + 1;

    ngx_queue_remove(&u->queue);
    ngx_queue_insert_head(&zone->sh->user_queue, &u->queue);

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return NGX_OK;
}


/*
 * A failed (denied) or reported challenge; mutex held.  Returns when the
 * user's lockout ends under the challenge's own lockout settings, or 0.
 */

time_t
ngx_http_push_approval_limit_failure_locked(
    ngx_http_push_approval_zone_t *zone, u_char *who, ngx_uint_t reported,
    ngx_uint_t lockout_n, time_t lockout_period)
{
    time_t                          now;
    ngx_http_push_approval_user_t  *u;

    u = ngx_http_push_approval_user_get(zone, who);
    if (u == NULL) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "push_approval: zone \"%V\" is full, a failure could "
                      "not be counted", &zone->name);
        return 0;
    }

    now = ngx_time();

    if (reported) {
        u->reported = now;
    }

    u->fails[u->fail_next] = (uint32_t) now;
    u->fail_next = (u->fail_next + 1) % NGX_HTTP_PUSH_APPROVAL_FAILS_MAX;

    if (u->nfails < NGX_HTTP_PUSH_APPROVAL_FAILS_MAX) {
        u->nfails++;
    }

    u->keep = now + zone->max_period + 1;

    ngx_queue_remove(&u->queue);
    ngx_queue_insert_head(&zone->sh->user_queue, &u->queue);

    return ngx_http_push_approval_locked_until(u, lockout_n, lockout_period);
}


/*
 * The user's key in the zone, keyed by the zone's own salt: a new secret
 * file neither lifts a lockout nor changes who is who.
 */

void
ngx_http_push_approval_who(ngx_http_push_approval_zone_t *zone,
    ngx_str_t *user, u_char *who)
{
    ngx_http_push_approval_hash_field(zone->sh->salt, "who", user, who);
}


/*
 * The zone is full: frees up to n of the least recently active records
 * that only count prompts.  Records of failures and reports are kept, so
 * a flood of other users cannot lift a lockout.  Mutex held.
 */

void
ngx_http_push_approval_limit_reclaim_locked(
    ngx_http_push_approval_zone_t *zone, ngx_uint_t n)
{
    ngx_uint_t                      i;
    ngx_queue_t                    *q, *prev;
    ngx_http_push_approval_user_t  *u;

    q = ngx_queue_last(&zone->sh->user_queue);

    for (i = 0;
         i < 64 && n && q != ngx_queue_sentinel(&zone->sh->user_queue);
         i++, q = prev)
    {
        prev = ngx_queue_prev(q);
        u = ngx_queue_data(q, ngx_http_push_approval_user_t, queue);

        if (u->nfails || u->reported) {
            continue;
        }

        ngx_queue_remove(q);
        ngx_rbtree_delete(&zone->sh->users, &u->node);
        ngx_slab_free_locked(zone->shpool, u);
        n--;
    }
}


/* frees at most n user records nobody needs any more; mutex held */

void
ngx_http_push_approval_limit_expire_locked(
    ngx_http_push_approval_zone_t *zone, ngx_uint_t n)
{
    time_t                          now;
    ngx_uint_t                      i;
    ngx_queue_t                    *q;
    ngx_http_push_approval_user_t  *u;

    now = ngx_time();

    for (i = 0; i < n && !ngx_queue_empty(&zone->sh->user_queue); i++) {
        q = ngx_queue_last(&zone->sh->user_queue);
        u = ngx_queue_data(q, ngx_http_push_approval_user_t, queue);

        if (u->keep > now) {
            break;
        }

        ngx_queue_remove(q);
        ngx_rbtree_delete(&zone->sh->users, &u->node);
        ngx_slab_free_locked(zone->shpool, u);
    }
}
