
/*
 * The zone's registry of workers: who a decision wakes (wake.c).  An entry
 * is a pid and the random name of that worker's wake socket, by value: the
 * zone outlives the processes and is read by all of them.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_workers.h"
#include "ngx_http_push_approval_zone.h"


/*
 * on: records w, replacing an entry of the same pid (a worker that died
 * without unregistering, its pid reused); NGX_DECLINED when full.
 * off: forgets the entry equal to w, pid and name, so that a stale
 * name never removes a live worker that reuses its pid.
 */

ngx_int_t
ngx_http_push_approval_workers_register(ngx_http_push_approval_zone_t *zone,
    ngx_http_push_approval_worker_t *w, ngx_uint_t on)
{
    ngx_uint_t                        i, free;
    ngx_http_push_approval_worker_t  *e;

    free = NGX_HTTP_PUSH_APPROVAL_MAX_WORKERS;

    ngx_shmtx_lock(&zone->shpool->mutex);

    for (i = 0; i < NGX_HTTP_PUSH_APPROVAL_MAX_WORKERS; i++) {
        e = &zone->sh->workers[i];

        if (e->pid == w->pid) {
            if (on) {
                *e = *w;

            } else if (ngx_memcmp(e->name, w->name,
                                  NGX_HTTP_PUSH_APPROVAL_WAKE_NAME)
                       == 0)
            {
                ngx_memzero(e, sizeof(ngx_http_push_approval_worker_t));
            }

            ngx_shmtx_unlock(&zone->shpool->mutex);
            return NGX_OK;
        }

        if (e->pid == 0 && free == NGX_HTTP_PUSH_APPROVAL_MAX_WORKERS) {
            free = i;
        }
    }

    if (!on) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return NGX_OK;
    }

    if (free == NGX_HTTP_PUSH_APPROVAL_MAX_WORKERS) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return NGX_DECLINED;
    }

    zone->sh->workers[free] = *w;

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return NGX_OK;
}


/* copies the registered entries; mutex taken briefly */

ngx_uint_t
ngx_http_push_approval_workers_list(ngx_http_push_approval_zone_t *zone,
    ngx_http_push_approval_worker_t *w)
{
    ngx_uint_t  i, n;

    n = 0;

    ngx_shmtx_lock(&zone->shpool->mutex);

    for (i = 0; i < NGX_HTTP_PUSH_APPROVAL_MAX_WORKERS; i++) {
        if (zone->sh->workers[i].pid) {
            w[n++] = zone->sh->workers[i];
        }
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return n;
}
