
/*
 * How a challenge ends: the notify's outcome, an approver's decision
 * (the code checked, the grant issued), a lockout that closes the user's
 * other challenges, or its wait running out.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_decide.h"
#include "ngx_http_push_approval_challenge.h"
#include "ngx_http_push_approval_grant.h"
#include "ngx_http_push_approval_keys.h"
#include "ngx_http_push_approval_limit.h"
#include "ngx_http_push_approval_wake.h"
#include "ngx_http_push_approval_zone.h"


#define NGX_HTTP_PUSH_APPROVAL_MAX_CODE_TRIES 3


/* challenges a lockout closes that are woken at once; the poll gets more */
#define NGX_HTTP_PUSH_APPROVAL_CLOSE_MAX  16


static ngx_uint_t ngx_http_push_approval_close_user(
    ngx_http_push_approval_zone_t *zone, u_char *who,
    u_char (*ids)[NGX_HTTP_PUSH_APPROVAL_ID_BYTES]);


ngx_int_t
ngx_http_push_approval_decide_notified(ngx_http_push_approval_zone_t *zone,
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
            ngx_http_push_approval_challenge_settle(zone, node,
                                          NGX_HTTP_PUSH_APPROVAL_PUSH_FAILED);
            zone->sh->decisions++;
        }

        rc = NGX_OK;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return rc;
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
ngx_http_push_approval_decide(ngx_http_push_approval_zone_t *zone,
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

    ngx_http_push_approval_challenge_settle(zone, node, decision);
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

        ngx_http_push_approval_challenge_settle(zone, node,
                                      NGX_HTTP_PUSH_APPROVAL_DENIED);
        zone->sh->decisions++;

        ngx_http_push_approval_challenge_event(node, "denied",
                                               "user_locked_out");

        if (n < NGX_HTTP_PUSH_APPROVAL_CLOSE_MAX) {
            ngx_memcpy(ids[n++], node->id, NGX_HTTP_PUSH_APPROVAL_ID_BYTES);
        }
    }

    return n;
}
